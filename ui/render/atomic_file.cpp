// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/atomic_file.h"

#include <QFileInfo>

namespace attnscope {

AtomicFileSink::AtomicFileSink(const QString& path)
    : m_path(path)
    , m_file(path)
{
    m_file.setDirectWriteFallback(false);
    m_ok = m_file.open(QIODevice::WriteOnly);
    if (!m_ok)
        m_error = m_file.errorString();
}

AtomicFileSink::~AtomicFileSink()
{
    if (!m_committed)
        m_file.cancelWriting();
}

bool AtomicFileSink::write(const void* data, size_t n)
{
    if (!m_ok)
        return false;
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        const qint64 w = m_file.write(p, static_cast<qint64>(std::min<size_t>(n, size_t(1) << 30)));
        if (w <= 0) {
            m_ok = false;
            m_error = m_file.errorString();
            return false;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

bool AtomicFileSink::commit()
{
    if (!m_ok) {
        m_file.cancelWriting();
        return false;
    }
    m_committed = m_file.commit();
    if (!m_committed) {
        m_error = m_file.errorString();
        m_ok = false;
    }
    return m_committed;
}

std::string AtomicFileSink::errorString() const
{
    return (m_error.isEmpty() ? m_file.errorString() : m_error).toStdString();
}

QString AtomicFileSink::failureMessage() const
{
    const bool existed = QFileInfo::exists(m_path);
    return QStringLiteral("cannot write %1: %2 (%3)")
        .arg(m_path, QString::fromStdString(errorString()),
             existed ? QStringLiteral("the previous file is unchanged") : QStringLiteral("nothing was written"));
}

bool writeFileAtomically(const QString& path, const QByteArray& data, QString* error)
{
    AtomicFileSink sink(path);
    if (sink.write(data.constData(), static_cast<size_t>(data.size())) && sink.commit())
        return true;
    if (error)
        *error = sink.failureMessage();
    return false;
}

} // namespace attnscope
