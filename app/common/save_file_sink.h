// ByteSink over QSaveFile: the target is always either the old or the new complete file (crash-safe writes,
// NUMERICS-AND-SAFETY §11). Never calls close(); an uncommitted sink discards its temporary file.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/io/byte_sink.h"

#include <QSaveFile>
#include <QString>

namespace attnscope {

class SaveFileSink final : public ByteSink {
public:
    explicit SaveFileSink(const QString& path) : m_file(path)
    {
        m_file.setDirectWriteFallback(false);
        m_ok = m_file.open(QIODevice::WriteOnly);
    }
    ~SaveFileSink() override
    {
        if (!m_committed)
            m_file.cancelWriting();
    }
    bool write(const void* data, size_t n) override
    {
        if (!m_ok)
            return false;
        const char* p = static_cast<const char*>(data);
        while (n > 0) {
            const qint64 w = m_file.write(p, static_cast<qint64>(n));
            if (w <= 0) {
                m_ok = false;
                return false;
            }
            p += w;
            n -= static_cast<size_t>(w);
        }
        return true;
    }
    bool commit() override
    {
        if (!m_ok) {
            m_file.cancelWriting();
            return false;
        }
        m_committed = m_file.commit();
        return m_committed;
    }
    std::string errorString() const override { return m_file.errorString().toStdString(); }

private:
    QSaveFile m_file;
    bool m_ok = false;
    bool m_committed = false;
};

} // namespace attnscope
