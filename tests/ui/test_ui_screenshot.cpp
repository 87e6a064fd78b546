// Scripted screenshots of the real executable (`attnscope MODEL --text T --view head --screenshot OUT.png`) on
// SmolLM2: exit 0, a PNG of the window whose heatmap region is rendered — not blank, many colours, LUT colours
// below the diagonal and the masked hatch above it. Failures exit non-zero with a message. Runs under the
// offscreen platform, and under Xvfb when ATTNSCOPE_SCREENSHOT_LAUNCHER is "xvfb-run -a".
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model_paths.h"
#include "ui/render/colormap.h"

#include <QImage>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>

using namespace attnscope;

class TestUiScreenshot : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void headViewHeatmapIsRendered();
    void overviewAndTokenViewsRender();
    void failuresExitNonZero();
    void helpWorksWithoutADisplay();

private:
    int runGui(const QStringList& args, QString* output);
    QString m_model;
    QTemporaryDir m_tmp;
};

void TestUiScreenshot::initTestCase()
{
    m_model = QString::fromStdString(test::modelCacheDir() + "/" + test::kSmolLM2);
    if (!std::filesystem::exists(m_model.toStdString())) {
        if (test::offlineOptOut())
            QSKIP("ATTNSCOPE_OFFLINE=1 and the SmolLM2 model is not cached");
        QFAIL(qPrintable(QStringLiteral("model %1 is missing: run scripts/fetch-models.sh").arg(m_model)));
    }
}

int TestUiScreenshot::runGui(const QStringList& args, QString* output)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QString launcher = env.value(QStringLiteral("ATTNSCOPE_SCREENSHOT_LAUNCHER"));
    QStringList command;
    if (launcher.isEmpty()) {
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    } else {
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));   // the real xcb platform on the virtual display
        command = launcher.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    }
    command << QStringLiteral(ATTNSCOPE_GUI_PATH) << args;
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(command.takeFirst(), command);
    if (!p.waitForFinished(240000)) {
        p.kill();
        p.waitForFinished();
        *output = QStringLiteral("timed out");
        return -1;
    }
    *output = QString::fromLocal8Bit(p.readAll());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

void TestUiScreenshot::headViewHeatmapIsRendered()
{
    const QString out = m_tmp.filePath(QStringLiteral("head.png"));
    QString log;
    const int rc = runGui({m_model, QStringLiteral("--text"),
                           QStringLiteral("The quick brown fox jumps over the lazy dog. The dog did not move, so the fox "
                                          "jumped over it again and again."),
                           QStringLiteral("--view"), QStringLiteral("head"), QStringLiteral("--layer"), QStringLiteral("5"),
                           QStringLiteral("--head"), QStringLiteral("2"), QStringLiteral("--size"), QStringLiteral("1200x800"),
                           QStringLiteral("--screenshot"), out},
                          &log);
    QVERIFY2(rc == 0, qPrintable(log));
    QImage img(out);
    QVERIFY(!img.isNull());
    QCOMPARE(img.size(), QSize(1200, 800));
    img = img.convertToFormat(QImage::Format_RGB32);

    // Heatmap pixels are exact LUT colours (nearest-neighbour blit of colourised cells).
    QSet<QRgb> lut;
    for (QRgb c : colormapLut(Colormap::Viridis))
        lut.insert(c | 0xff000000u);
    auto isLut = [&](int x, int y) { return lut.contains(img.pixel(x, y) | 0xff000000u); };
    auto isMasked = [&](int x, int y) {
        const QRgb c = img.pixel(x, y) | 0xff000000u;
        return c == maskedBackground().rgb() || c == maskedHatch().rgb();
    };
    // The heatmap spans the widest run of columns with many LUT pixels (the colourbar is a narrow strip).
    std::vector<int> perColumn(static_cast<size_t>(img.width()), 0);
    for (int x = 0; x < img.width(); ++x)
        for (int y = 0; y < img.height(); ++y)
            perColumn[static_cast<size_t>(x)] += isLut(x, y) ? 1 : 0;
    int bestStart = 0, bestLen = 0;
    for (int x = 0; x < img.width();) {
        if (perColumn[static_cast<size_t>(x)] < 5) {
            ++x;
            continue;
        }
        int e = x;
        while (e < img.width() && perColumn[static_cast<size_t>(e)] >= 5)
            ++e;
        if (e - x > bestLen) {
            bestLen = e - x;
            bestStart = x;
        }
        x = e;
    }
    QVERIFY2(bestLen > 300, qPrintable(QStringLiteral("heatmap too narrow: %1 px").arg(bestLen)));
    const int x0 = bestStart, x1 = bestStart + bestLen - 1;
    int y0 = img.height(), y1 = 0;
    for (int y = 0; y < img.height(); ++y)
        for (int x = x0; x <= x1; x += 4)
            if (isLut(x, y) || isMasked(x, y)) {
                y0 = std::min(y0, y);
                y1 = std::max(y1, y);
            }
    QVERIFY2(y1 - y0 > 300, qPrintable(QStringLiteral("heatmap too short: %1 px").arg(y1 - y0)));

    // Causal structure: below the diagonal every sample is a weight colour, above it the masked hatch.
    int below = 0, belowLut = 0, above = 0, aboveMasked = 0;
    QSet<QRgb> colours;
    for (double u = 0.02; u < 1.0; u += 0.04)
        for (double v = 0.02; v < 1.0; v += 0.04) {
            const int x = x0 + static_cast<int>(u * (x1 - x0));
            const int y = y0 + static_cast<int>(v * (y1 - y0));
            if (v > u + 0.08) {
                ++below;
                belowLut += isLut(x, y) ? 1 : 0;
                colours.insert(img.pixel(x, y));
            } else if (u > v + 0.08) {
                ++above;
                aboveMasked += isMasked(x, y) ? 1 : 0;
            }
        }
    QVERIFY2(belowLut >= 0.95 * below, qPrintable(QStringLiteral("%1 of %2 below-diagonal samples are weights").arg(belowLut).arg(below)));
    QVERIFY2(aboveMasked >= 0.95 * above, qPrintable(QStringLiteral("%1 of %2 above-diagonal samples are masked").arg(aboveMasked).arg(above)));
    QVERIFY2(colours.size() >= 12, qPrintable(QStringLiteral("only %1 distinct colours: blank or flat").arg(colours.size())));
}

void TestUiScreenshot::overviewAndTokenViewsRender()
{
    for (const QString& view : {QStringLiteral("overview"), QStringLiteral("token"), QStringLiteral("key"),
                                QStringLiteral("finder")}) {
        const QString out = m_tmp.filePath(view + QStringLiteral(".png"));
        QString log;
        const int rc = runGui({m_model, QStringLiteral("--text"), QStringLiteral("Attention heads attend."),
                               QStringLiteral("--view"), view, QStringLiteral("--screenshot"), out}, &log);
        QVERIFY2(rc == 0, qPrintable(log));
        const QImage img(out);
        QVERIFY(!img.isNull());
        QSet<QRgb> colours;
        for (int y = 0; y < img.height(); y += 3)
            for (int x = 0; x < img.width(); x += 3)
                colours.insert(img.pixel(x, y));
        QVERIFY2(colours.size() > 50, qPrintable(view));
    }
}

void TestUiScreenshot::failuresExitNonZero()
{
    QString log;
    const QString missing = m_tmp.filePath(QStringLiteral("missing.gguf"));
    int rc = runGui({missing, QStringLiteral("--text"), QStringLiteral("x"), QStringLiteral("--screenshot"),
                     m_tmp.filePath(QStringLiteral("never.png"))}, &log);
    QVERIFY2(rc != 0 && rc != -1, qPrintable(log));
    QVERIFY2(log.contains(QStringLiteral("does not exist")), qPrintable(log));
    QVERIFY(!QFile::exists(m_tmp.filePath(QStringLiteral("never.png"))));
    rc = runGui({m_model, QStringLiteral("--view"), QStringLiteral("sideways"), QStringLiteral("--screenshot"), QStringLiteral("x.png")}, &log);
    QCOMPARE(rc, 2);
    QVERIFY2(log.contains(QStringLiteral("--view")), qPrintable(log));
}

void TestUiScreenshot::helpWorksWithoutADisplay()
{
    // No X server, no Wayland, no platform override: the window system must not be touched for --help,
    // --version or a usage error.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE"})
        env.remove(QString::fromLatin1(v));
    auto run = [&](const QStringList& args, QString* out) {
        QProcess p;
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral(ATTNSCOPE_GUI_PATH), args);
        if (!p.waitForFinished(30000)) {
            p.kill();
            p.waitForFinished();
            return -1;
        }
        *out = QString::fromLocal8Bit(p.readAll());
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    };
    QString out;
    QCOMPARE(run({QStringLiteral("--help")}, &out), 0);
    QVERIFY2(out.contains(QStringLiteral("--screenshot")) && out.contains(QStringLiteral("MODEL")), qPrintable(out));
    QCOMPARE(run({QStringLiteral("--version")}, &out), 0);
    QVERIFY2(out.contains(QStringLiteral("attnscope")), qPrintable(out));
    QCOMPARE(run({QStringLiteral("--view"), QStringLiteral("sideways")}, &out), 2);
    QVERIFY2(out.contains(QStringLiteral("--view")), qPrintable(out));
}

QTEST_GUILESS_MAIN(TestUiScreenshot)
#include "test_ui_screenshot.moc"
