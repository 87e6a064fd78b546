// Files are written atomically (docs/EXPORT.md "Safe writes"): through QSaveFile, so the target is always
// either the previous complete file or the new complete file — never a partial one, even when the process is
// killed (Qt writes to an unnamed temporary file where the system has them and links it in on commit). A failed
// write says why, with the system's reason ("No space left on device"), and leaves the previous file intact.
// Threading: one writer per thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/io/byte_sink.h"

#include <QByteArray>
#include <QSaveFile>
#include <QString>

namespace attnscope {

/// ByteSink over QSaveFile: the core writers (npy, npz, HDF5, CSV) write through it.
class AtomicFileSink final : public ByteSink {
public:
    explicit AtomicFileSink(const QString& path);
    ~AtomicFileSink() override;
    AtomicFileSink(const AtomicFileSink&) = delete;
    AtomicFileSink& operator=(const AtomicFileSink&) = delete;

    bool write(const void* data, size_t n) override;
    bool commit() override;
    std::string errorString() const override;
    /// "cannot write /x/fig.pdf: No space left on device (the previous file is unchanged)".
    QString failureMessage() const;

private:
    QString m_path;
    QSaveFile m_file;
    bool m_ok = false;
    bool m_committed = false;
    QString m_error;
};

/// Writes `data` to `path` atomically; false with the reason in `error`.
bool writeFileAtomically(const QString& path, const QByteArray& data, QString* error);

} // namespace attnscope
