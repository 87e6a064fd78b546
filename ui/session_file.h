// `.attnscope` session files: JSON with the model path and hash, the prompt, the selection, the view
// settings and the compare workspace's variant list (an optional "compare" object: files without it, from before
// the workspace existed, load with no variants). Written through QSaveFile (the target is always the old or the new complete file), read with a
// size cap and tolerant field parsing (a hostile or newer file gives a reason, never a crash).
// Threading: any thread (the main window reads and hashes on workers).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/head_metrics.h"
#include "ui/render/figure_spec.h"
#include "ui/render/view_settings.h"
#include "ui/session_context.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace attnscope {

struct SessionState {
    QString modelPath;
    QString modelHash;       // "sha256:<hex>" of the model file (or of a folder's files), empty if unknown
    QString prompt;
    int layer = 0;
    int head = 0;
    int query = -1;
    int key = -1;
    ViewKind view = ViewKind::Overview;
    HeadMetric metric = HeadMetric::SinkShare;
    ViewSettings settings;
    QStringList variants;    // the compare workspace's variant specs as typed (docs/VARIANTS.md)
    // Figures (docs/FIGURES.md): the current view's figure when the session was saved, the figure composer's
    // layout, and which of the two is "the session's figure" that `attnscope-cli figure` regenerates.
    std::optional<FigureSpec> viewFigure;
    std::optional<FigureSpec> composer;
    bool figureFromComposer = false;
    /// The figure `attnscope-cli figure` draws: the composer's when it is the session's figure and has panels,
    /// else the view's (nullopt when the session has neither).
    std::optional<FigureSpec> figure() const;
};

inline constexpr const char* kSessionFormat = "attnscope-session";
inline constexpr int kSessionVersion = 1;
inline constexpr qint64 kMaxSessionBytes = 16 << 20;
inline constexpr int kMaxSessionVariants = 8;           // more are ignored
inline constexpr int kMaxSessionVariantChars = 4096;    // AttentionSpec::parse refuses longer texts too

QJsonObject sessionToJson(const SessionState& s);
/// Parses a session object; on failure returns nullopt and sets `error` to the reason.
std::optional<SessionState> sessionFromJson(const QJsonObject& o, QString* error);

/// Writes atomically; returns false with the reason in `error` (the old file is left intact).
bool writeSessionFile(const QString& path, const SessionState& s, QString* error);
/// Reads a session; a model path that is relative is taken relative to the session file's folder and a leading
/// "~/" means the home folder (so committed example sessions work on any machine).
std::optional<SessionState> readSessionFile(const QString& path, QString* error);
QString resolveSessionModelPath(const QString& sessionPath, const QString& modelPath);

/// SHA-256 of a model file, or of a folder's regular files (names and contents, sorted by name).
/// Reads the whole model: call it on a worker. Returns an empty string when the path cannot be read.
QString hashModelPath(const QString& path);

} // namespace attnscope
