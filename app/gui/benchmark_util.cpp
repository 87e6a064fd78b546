// SPDX-License-Identifier: GPL-3.0-or-later
#include "gui/benchmark_util.h"

#include "core/tokenizer/tokenizer.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attnscope::gui {

bool waitUntil(const std::function<bool()>& done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeoutMs) {
        QEventLoop loop;   // sleeps in the event dispatcher until an event or 2 ms pass
        QTimer::singleShot(2, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return done();
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

QJsonArray toArray(const std::vector<double>& v)
{
    QJsonArray a;
    for (double x : v)
        a.append(std::round(x * 10) / 10);
    return a;
}

QString promptOfLength(const Tokenizer& tok, int tokens, const QString& sample)
{
    const QString unit = sample + QStringLiteral(" ");
    QString text = unit;
    // Grow geometrically, then cut: encoding a 100k-character text a few times is cheap.
    while (static_cast<int>(tok.encode(text.toStdString(), true).size()) < tokens)
        text += text;
    const std::string utf8 = text.toStdString();
    const TokenizedText tt = tok.encode(utf8, true);
    const size_t last = static_cast<size_t>(tokens - 1);
    return QString::fromStdString(utf8.substr(0, tt.byteEnd[last]));
}

double peakRssMb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0;
    return 0;
}

bool resetPeakRss()
{
    QFile f(QStringLiteral("/proc/self/clear_refs"));
    return f.open(QIODevice::WriteOnly) && f.write("5") == 1;
}

double loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    return f.readAll().split(' ').first().toDouble();
}

} // namespace attnscope::gui
