// Session JSON, atomic writes and model hashing.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/session_file.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>

#include <algorithm>
#include <climits>

namespace attnscope {

QJsonObject sessionToJson(const SessionState& s)
{
    QJsonObject model;
    model[QStringLiteral("path")] = s.modelPath;
    model[QStringLiteral("hash")] = s.modelHash;
    QJsonObject sel;
    sel[QStringLiteral("layer")] = s.layer;
    sel[QStringLiteral("head")] = s.head;
    sel[QStringLiteral("query")] = s.query;
    sel[QStringLiteral("key")] = s.key;
    QJsonObject o;
    o[QStringLiteral("format")] = QString::fromUtf8(kSessionFormat);
    o[QStringLiteral("version")] = kSessionVersion;
    o[QStringLiteral("model")] = model;
    o[QStringLiteral("prompt")] = s.prompt;
    o[QStringLiteral("selection")] = sel;
    o[QStringLiteral("view")] = viewKindId(s.view);
    o[QStringLiteral("metric")] = QString::fromUtf8(headMetricId(s.metric));
    o[QStringLiteral("settings")] = toJson(s.settings);
    return o;
}

std::optional<SessionState> sessionFromJson(const QJsonObject& o, QString* error)
{
    auto fail = [&](const QString& why) -> std::optional<SessionState> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    if (o.value(QStringLiteral("format")).toString() != QString::fromUtf8(kSessionFormat))
        return fail(QStringLiteral("not an attnscope session (format field missing or different)"));
    const int version = o.value(QStringLiteral("version")).toInt(-1);
    if (version < 1 || version > kSessionVersion)
        return fail(QStringLiteral("unsupported session version %1 (this build reads %2)").arg(version).arg(kSessionVersion));
    SessionState s;
    const QJsonObject model = o.value(QStringLiteral("model")).toObject();
    s.modelPath = model.value(QStringLiteral("path")).toString();
    s.modelHash = model.value(QStringLiteral("hash")).toString();
    if (s.modelPath.isEmpty())
        return fail(QStringLiteral("model.path is missing"));
    if (!o.value(QStringLiteral("prompt")).isString())
        return fail(QStringLiteral("prompt is missing"));
    s.prompt = o.value(QStringLiteral("prompt")).toString();
    const QJsonObject sel = o.value(QStringLiteral("selection")).toObject();
    // Indices are clamped again against the model once it is open; here only sanity bounds.
    s.layer = std::clamp(sel.value(QStringLiteral("layer")).toInt(0), 0, 1 << 16);
    s.head = std::clamp(sel.value(QStringLiteral("head")).toInt(0), 0, 1 << 16);
    s.query = std::clamp(sel.value(QStringLiteral("query")).toInt(-1), -1, INT_MAX - 1);
    s.key = std::clamp(sel.value(QStringLiteral("key")).toInt(-1), -1, INT_MAX - 1);
    ViewKind v;
    if (viewKindFromId(o.value(QStringLiteral("view")).toString(), v))
        s.view = v;
    HeadMetric m;
    if (headMetricFromId(o.value(QStringLiteral("metric")).toString().toStdString(), m))
        s.metric = m;
    s.settings = viewSettingsFromJson(o.value(QStringLiteral("settings")).toObject());
    return s;
}

bool writeSessionFile(const QString& path, const SessionState& s, QString* error)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    const QByteArray data = QJsonDocument(sessionToJson(s)).toJson(QJsonDocument::Indented);
    if (f.write(data) != data.size()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        f.cancelWriting();
        return false;
    }
    if (!f.commit()) {
        if (error)
            *error = QStringLiteral("cannot save %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

std::optional<SessionState> readSessionFile(const QString& path, QString* error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("cannot open %1: %2").arg(path, f.errorString());
        return std::nullopt;
    }
    if (f.size() > kMaxSessionBytes) {
        if (error)
            *error = QStringLiteral("%1 is %2 bytes, over the %3-byte limit for session files").arg(path).arg(f.size()).arg(kMaxSessionBytes);
        return std::nullopt;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.read(kMaxSessionBytes), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        if (error)
            *error = QStringLiteral("%1: not valid JSON at offset %2: %3").arg(path).arg(pe.offset).arg(pe.errorString());
        return std::nullopt;
    }
    QString why;
    auto s = sessionFromJson(doc.object(), &why);
    if (!s && error)
        *error = QStringLiteral("%1: %2").arg(path, why);
    return s;
}

namespace {

bool addFile(QCryptographicHash& h, const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    return h.addData(&f);
}

} // namespace

QString hashModelPath(const QString& path)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    const QFileInfo fi(path);
    if (fi.isDir()) {
        const QFileInfoList files = QDir(path).entryInfoList(QDir::Files | QDir::NoDotAndDotDot, QDir::Name);
        for (const QFileInfo& f : files) {
            h.addData(f.fileName().toUtf8());
            h.addData(QByteArrayView("\0", 1));
            if (!addFile(h, f.filePath()))
                return {};
        }
    } else if (!addFile(h, path)) {
        return {};
    }
    return QStringLiteral("sha256:") + QString::fromLatin1(h.result().toHex());
}

} // namespace attnscope
