// Session files: round trip, atomic writes, hostile and malformed input rejected with a reason, model hashing.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/session_file.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace attnscope;

class TestUiSessionFile : public QObject {
    Q_OBJECT
private slots:
    void roundTrip();
    void rejectsMalformed();
    void failedWriteKeepsOldFile();
    void hashesFilesAndFolders();
    void figuresAndRelativeModelPaths();
};

void TestUiSessionFile::roundTrip()
{
    QTemporaryDir dir;
    SessionState s;
    s.modelPath = QStringLiteral("/models/m.gguf");
    s.modelHash = QStringLiteral("sha256:abc");
    s.prompt = QStringLiteral("héllo\nwörld ✓");
    s.layer = 7;
    s.head = 2;
    s.query = 5;
    s.view = ViewKind::Token;
    s.metric = HeadMetric::TopKMass;
    s.settings.colormap = Colormap::Cividis;
    s.settings.scale = ScaleKind::Log;
    s.settings.normalisation = Normalisation::PerRow;
    const QString path = dir.filePath(QStringLiteral("a.attnscope"));
    QString error;
    QVERIFY2(writeSessionFile(path, s, &error), qPrintable(error));
    auto r = readSessionFile(path, &error);
    QVERIFY2(r.has_value(), qPrintable(error));
    QCOMPARE(r->modelPath, s.modelPath);
    QCOMPARE(r->modelHash, s.modelHash);
    QCOMPARE(r->prompt, s.prompt);
    QCOMPARE(r->layer, 7);
    QCOMPARE(r->head, 2);
    QCOMPARE(r->query, 5);
    QCOMPARE(r->view, ViewKind::Token);
    QCOMPARE(r->metric, HeadMetric::TopKMass);
    QCOMPARE(r->settings, s.settings);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(o.value(QStringLiteral("format")).toString(), QStringLiteral("attnscope-session"));
    QCOMPARE(o.value(QStringLiteral("version")).toInt(), 1);
}

void TestUiSessionFile::rejectsMalformed()
{
    QTemporaryDir dir;
    auto write = [&](const QByteArray& data) {
        const QString p = dir.filePath(QStringLiteral("x.attnscope"));
        QFile f(p);
        f.open(QIODevice::WriteOnly | QIODevice::Truncate);
        f.write(data);
        f.close();
        return p;
    };
    QString error;
    QVERIFY(!readSessionFile(write("{not json"), &error));
    QVERIFY2(error.contains(QStringLiteral("not valid JSON")), qPrintable(error));
    QVERIFY(!readSessionFile(write("[]"), &error));
    QVERIFY(!readSessionFile(write(R"({"format":"other","version":1})"), &error));
    QVERIFY2(error.contains(QStringLiteral("not an attnscope session")), qPrintable(error));
    QVERIFY(!readSessionFile(write(R"({"format":"attnscope-session","version":99,"model":{"path":"m"},"prompt":""})"), &error));
    QVERIFY2(error.contains(QStringLiteral("version 99")), qPrintable(error));
    QVERIFY(!readSessionFile(write(R"({"format":"attnscope-session","version":1,"prompt":"x"})"), &error));
    QVERIFY2(error.contains(QStringLiteral("model.path")), qPrintable(error));
    QVERIFY(!readSessionFile(dir.filePath(QStringLiteral("missing.attnscope")), &error));
    // Hostile numbers are clamped, unknown enums fall back to defaults.
    auto ok = readSessionFile(write(R"({"format":"attnscope-session","version":1,"model":{"path":"m"},"prompt":"p",
        "selection":{"layer":-5,"head":1e12,"query":-9},"view":"bogus","metric":"bogus","settings":{"gamma":"x"}})"), &error);
    QVERIFY2(ok.has_value(), qPrintable(error));
    QCOMPARE(ok->layer, 0);
    QCOMPARE(ok->query, -1);
    QVERIFY(ok->head <= (1 << 16));
    QCOMPARE(ok->view, ViewKind::Overview);
    // Oversized files are refused before parsing.
    QVERIFY(!readSessionFile(write(QByteArray(kMaxSessionBytes + 1, ' ')), &error));
    QVERIFY2(error.contains(QStringLiteral("limit")), qPrintable(error));
}

void TestUiSessionFile::failedWriteKeepsOldFile()
{
    QTemporaryDir dir;
    SessionState s;
    s.modelPath = QStringLiteral("m");
    QString error;
    QVERIFY(!writeSessionFile(dir.filePath(QStringLiteral("no/such/dir/x.attnscope")), s, &error));
    QVERIFY(error.contains(QStringLiteral("cannot")));
    const QString path = dir.filePath(QStringLiteral("keep.attnscope"));
    QVERIFY(writeSessionFile(path, s, &error));
    QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner);   // no new temp files
    s.prompt = QStringLiteral("new");
    const bool wrote = writeSessionFile(path, s, &error);
    QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    auto r = readSessionFile(path, &error);
    QVERIFY(r.has_value());
    // Root may bypass the permission; either way the file is one complete version.
    QCOMPARE(r->prompt, wrote ? QStringLiteral("new") : QString());
}

void TestUiSessionFile::hashesFilesAndFolders()
{
    QTemporaryDir dir;
    auto write = [&](const QString& name, const QByteArray& data) {
        QFile f(dir.filePath(name));
        f.open(QIODevice::WriteOnly);
        f.write(data);
    };
    write(QStringLiteral("a.bin"), "abc");
    // SHA-256("abc")
    QCOMPARE(hashModelPath(dir.filePath(QStringLiteral("a.bin"))),
             QStringLiteral("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const QString h1 = hashModelPath(dir.path());
    write(QStringLiteral("b.bin"), "x");
    const QString h2 = hashModelPath(dir.path());
    QVERIFY(h1.startsWith(QStringLiteral("sha256:")));
    QVERIFY(h1 != h2);
    QVERIFY(hashModelPath(dir.filePath(QStringLiteral("missing"))).isEmpty());
}

void TestUiSessionFile::figuresAndRelativeModelPaths()
{
    // The view's figure and the composer's layout survive a round trip, and the session names which is its figure.
    QTemporaryDir dir;
    SessionState s;
    s.modelPath = dir.filePath(QStringLiteral("m.gguf"));
    s.prompt = QStringLiteral("p");
    PanelSpec head;
    head.layer = 3;
    head.head = 1;
    head.keyFirst = 2;
    head.keyLast = 9;
    s.viewFigure = FigureSpec::single(head, FigureStyle());
    FigureSpec composer;
    composer.rows = 1;
    composer.cols = 2;
    composer.panels = {head, head};
    composer.panels[1].kind = QStringLiteral("scores");
    composer.style.widthPt = kTwoColumnPt;
    s.composer = composer;
    s.figureFromComposer = true;
    const QString path = dir.filePath(QStringLiteral("f.attnscope"));
    QString error;
    QVERIFY2(writeSessionFile(path, s, &error), qPrintable(error));
    auto r = readSessionFile(path, &error);
    QVERIFY2(r, qPrintable(error));
    QCOMPARE(*r->viewFigure, *s.viewFigure);
    QCOMPARE(*r->composer, composer);
    QVERIFY(r->figureFromComposer);
    QCOMPARE(*r->figure(), composer);
    r->figureFromComposer = false;
    QCOMPARE(*r->figure(), *s.viewFigure);
    // Relative model paths are taken from the session's folder, "~/" from the home folder.
    QCOMPARE(resolveSessionModelPath(path, QStringLiteral("models/m.gguf")), dir.filePath(QStringLiteral("models/m.gguf")));
    QCOMPARE(resolveSessionModelPath(path, QStringLiteral("~/x.gguf")), QDir::homePath() + QStringLiteral("/x.gguf"));
    QCOMPARE(resolveSessionModelPath(path, QStringLiteral("/abs/m.gguf")), QStringLiteral("/abs/m.gguf"));
    // A figure that is not an object of panels is a reason, not a crash.
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    f.close();
    QJsonObject fig = o.value(QStringLiteral("figure")).toObject();
    fig[QStringLiteral("composer")] = QJsonObject{{QStringLiteral("panels"), 7}};
    o[QStringLiteral("figure")] = fig;
    QVERIFY(!sessionFromJson(o, &error));
    QVERIFY(error.contains(QStringLiteral("figure.composer")));
}

QTEST_GUILESS_MAIN(TestUiSessionFile)
#include "test_ui_session_file.moc"
