// Session JSON, atomic writes and model hashing.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/session_file.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
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
    if (!s.variants.isEmpty()) {
        QJsonObject compare;
        compare[QStringLiteral("variants")] = QJsonArray::fromStringList(s.variants);
        o[QStringLiteral("compare")] = compare;
    }
    if (s.viewFigure || s.composer) {
        QJsonObject fig;
        fig[QStringLiteral("source")] = s.figureFromComposer ? QStringLiteral("composer") : QStringLiteral("view");
        if (s.viewFigure)
            fig[QStringLiteral("view")] = toJson(*s.viewFigure);
        if (s.composer)
            fig[QStringLiteral("composer")] = toJson(*s.composer);
        o[QStringLiteral("figure")] = fig;
    }
    return o;
}

std::optional<FigureSpec> SessionState::figure() const
{
    if (figureFromComposer && composer && !composer->panels.isEmpty())
        return composer;
    if (viewFigure)
        return viewFigure;
    return composer && !composer->panels.isEmpty() ? composer : std::nullopt;
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
    // Optional (sessions from before the compare workspace have none). Texts are kept as typed — the editor
    // validates them — but must be strings of bounded length.
    const QJsonValue compare = o.value(QStringLiteral("compare"));
    if (!compare.isUndefined() && !compare.isObject())
        return fail(QStringLiteral("compare must be an object"));
    const QJsonValue variants = compare.toObject().value(QStringLiteral("variants"));
    if (!variants.isUndefined() && !variants.isArray())
        return fail(QStringLiteral("compare.variants must be a list of variant specs"));
    for (const QJsonValue& v : variants.toArray()) {
        if (!v.isString())
            return fail(QStringLiteral("compare.variants must hold strings (variant specs such as sliding:window=64)"));
        if (v.toString().size() > kMaxSessionVariantChars)
            return fail(QStringLiteral("compare.variants: a spec is longer than %1 characters").arg(kMaxSessionVariantChars));
        if (s.variants.size() < kMaxSessionVariants)
            s.variants << v.toString();
    }
    const QJsonObject fig = o.value(QStringLiteral("figure")).toObject();
    FigureSpec spec;
    QString why;
    if (fig.value(QStringLiteral("view")).isObject()) {
        if (!figureSpecFromJson(fig.value(QStringLiteral("view")).toObject(), spec, &why))
            return fail(QStringLiteral("figure.view: ") + why);
        s.viewFigure = spec;
    }
    if (fig.value(QStringLiteral("composer")).isObject()) {
        if (!figureSpecFromJson(fig.value(QStringLiteral("composer")).toObject(), spec, &why))
            return fail(QStringLiteral("figure.composer: ") + why);
        s.composer = spec;
    }
    s.figureFromComposer = fig.value(QStringLiteral("source")).toString() == QStringLiteral("composer");
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
    if (s)
        s->modelPath = resolveSessionModelPath(path, s->modelPath);
    return s;
}

QString resolveSessionModelPath(const QString& sessionPath, const QString& modelPath)
{
    if (modelPath.startsWith(QStringLiteral("~/")))
        return QDir::homePath() + modelPath.mid(1);
    if (QDir::isRelativePath(modelPath))
        return QDir::cleanPath(QFileInfo(sessionPath).absoluteDir().filePath(modelPath));
    return modelPath;
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
