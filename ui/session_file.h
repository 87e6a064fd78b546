// `.attnscope` session files: JSON with the model path and hash, the prompt, the selection and the view
// settings. Written through QSaveFile (the target is always the old or the new complete file), read with a
// size cap and tolerant field parsing (a hostile or newer file gives a reason, never a crash).
// Threading: any thread (the main window reads and hashes on workers).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/metrics/head_metrics.h"
#include "ui/render/view_settings.h"
#include "ui/session_context.h"

#include <QJsonObject>
#include <QString>

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
};

inline constexpr const char* kSessionFormat = "attnscope-session";
inline constexpr int kSessionVersion = 1;
inline constexpr qint64 kMaxSessionBytes = 16 << 20;

QJsonObject sessionToJson(const SessionState& s);
/// Parses a session object; on failure returns nullopt and sets `error` to the reason.
std::optional<SessionState> sessionFromJson(const QJsonObject& o, QString* error);

/// Writes atomically; returns false with the reason in `error` (the old file is left intact).
bool writeSessionFile(const QString& path, const SessionState& s, QString* error);
std::optional<SessionState> readSessionFile(const QString& path, QString* error);

/// SHA-256 of a model file, or of a folder's regular files (names and contents, sorted by name).
/// Reads the whole model: call it on a worker. Returns an empty string when the path cannot be read.
QString hashModelPath(const QString& path);

} // namespace attnscope
