// Every item model under QAbstractItemModelTester, driven through its mutations, plus role values.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/display_text.h"
#include "ui/models/head_metrics_model.h"
#include "ui/models/model_info_model.h"
#include "ui/models/token_list_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace attnscope;

class TestUiModels : public QObject {
    Q_OBJECT
private slots:
    void tokenListModel();
    void headMetricsModel();
    void modelInfoModel();
    void modelInfoShowsFileTextEscaped();
    void escapedBytes();
};

namespace {

TokenRowsPtr threeTokens()
{
    auto rows = std::make_shared<TokenRows>();
    rows->push_back({1, QStringLiteral("<|im_start|>"), QByteArray("<|im_start|>"), 0, 0});
    rows->push_back({504, QStringLiteral("␣fox"), QByteArray(" fox"), 0, 4});
    rows->push_back({9, QStringLiteral("<0xE2>"), QByteArray("\xe2", 1), 4, 5});
    return rows;
}

} // namespace

void TestUiModels::tokenListModel()
{
    TokenListModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(m.rowCount(), 0);
    m.setTokens(threeTokens());
    QCOMPARE(m.rowCount(), 3);
    QCOMPARE(m.data(m.index(1), Qt::DisplayRole).toString(), QStringLiteral("␣fox"));
    QCOMPARE(m.data(m.index(1), TokenListModel::TokenIdRole).toInt(), 504);
    QCOMPARE(m.data(m.index(2), TokenListModel::BytesRole).toByteArray(), QByteArray("\xe2", 1));
    const QString tip = m.data(m.index(2), Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("id 9")) && tip.contains(QStringLiteral("\\xe2")), qPrintable(tip));
    QVERIFY(!m.data(m.index(0), TokenListModel::WeightRole).isValid());

    QSignalSpy changed(&m, &QAbstractItemModel::dataChanged);
    m.setWeights({0.5, 0.25, 0.25}, {0.4, 0.4, 0.2});
    QCOMPARE(changed.count(), 1);
    QCOMPARE(m.data(m.index(0), TokenListModel::WeightRole).toDouble(), 0.5);
    QCOMPARE(m.data(m.index(2), TokenListModel::SecondaryWeightRole).toDouble(), 0.2);
    m.setWeights({1.0});   // wrong size: cleared rather than read out of bounds
    QVERIFY(!m.data(m.index(0), TokenListModel::WeightRole).isValid());

    m.setSelectedPosition(1);
    QVERIFY(m.data(m.index(1), TokenListModel::SelectedRole).toBool());
    QVERIFY(m.data(m.index(2), TokenListModel::MaskedRole).toBool());
    QVERIFY(!m.data(m.index(0), TokenListModel::MaskedRole).toBool());
    m.setSelectedPosition(99);
    QCOMPARE(m.selectedPosition(), -1);
    m.setTokens(nullptr);
    QCOMPARE(m.rowCount(), 0);
    QVERIFY(m.roleNames().contains(TokenListModel::TokenIdRole));
}

void TestUiModels::headMetricsModel()
{
    HeadMetricsModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.reset(2, 4, 2);
    QCOMPARE(m.rowCount(), 2);
    QCOMPARE(m.columnCount(), 4);
    QVERIFY(!m.data(m.index(0, 0), HeadMetricsModel::ValueRole).isValid());   // not computed yet
    QCOMPARE(m.headerData(3, Qt::Horizontal, Qt::ToolTipRole).toString(), QStringLiteral("head 3, KV head 1"));
    QCOMPARE(m.data(m.index(1, 3), HeadMetricsModel::KvHeadRole).toInt(), 1);

    std::vector<HeadMetrics> layer0(4);
    for (int h = 0; h < 4; ++h)
        layer0[static_cast<size_t>(h)] = {0.1 * (h + 1), 1.0 + h, 2.0 * h, 0.5};
    QSignalSpy changed(&m, &QAbstractItemModel::dataChanged);
    m.setLayer(0, layer0);
    QVERIFY(changed.count() >= 1);
    QCOMPARE(m.data(m.index(0, 1), HeadMetricsModel::ValueRole).toDouble(), 0.2);
    QCOMPARE(m.data(m.index(0, 0), HeadMetricsModel::NormalisedRole).toDouble(), 0.0);
    QCOMPARE(m.data(m.index(0, 3), HeadMetricsModel::NormalisedRole).toDouble(), 1.0);
    QCOMPARE(m.data(m.index(0, 3), Qt::DisplayRole).toString(), QStringLiteral("0.40"));
    m.setLayer(1, std::vector<HeadMetrics>(3));   // wrong size is ignored
    QVERIFY(!m.data(m.index(1, 0), HeadMetricsModel::ValueRole).isValid());

    m.setMetric(HeadMetric::MeanDistance);
    QCOMPARE(m.data(m.index(0, 2), HeadMetricsModel::ValueRole).toDouble(), 4.0);
    QCOMPARE(m.maximum(), 6.0);
    QVERIFY(std::isnan(m.value(5, 5)));
    m.reset(0, 0, 1);
    QCOMPARE(m.rowCount(), 0);
}

void TestUiModels::modelInfoModel()
{
    ModelInfoModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    ModelInfo info;
    info.path = "/models/x.gguf";
    info.format = "gguf";
    info.architecture = "llama";
    info.runnable = true;
    info.nLayers = 30;
    info.nHeads = 9;
    info.nKvHeads = 3;
    info.headDim = 64;
    info.sizeOnDisk = 98362432;
    info.paramsByDtype = {{"q4_1", 100}, {"f32", 10}};
    info.tensorsByDtype = {{"q4_1", 7}, {"f32", 2}};
    m.setInfo(info, QStringLiteral("cpu: 2 threads"));
    QCOMPARE(m.columnCount(), 2);
    QCOMPARE(m.valueOf(QStringLiteral("layers")), QStringLiteral("30"));
    QCOMPARE(m.valueOf(QStringLiteral("KV groups")), QStringLiteral("3 KV heads (3 query heads each)"));
    QCOMPARE(m.valueOf(QStringLiteral("backend")), QStringLiteral("cpu: 2 threads"));
    QVERIFY(m.valueOf(QStringLiteral("dtypes")).contains(QStringLiteral("q4_1: 7 tensors")));
    QCOMPARE(m.valueOf(QStringLiteral("size on disk")), QStringLiteral("98.4 MB"));
    m.clear();
    QCOMPARE(m.rowCount(), 0);
}

void TestUiModels::modelInfoShowsFileTextEscaped()
{
    // A hostile file's strings as the model-info table shows them: no control characters, no bidi
    // reordering, no markup in tooltips, invalid bytes as \xNN instead of U+FFFD.
    ModelInfoModel m;
    ModelInfo info;
    info.path = "/models/evil\xE2\x80\xAE" "fig.gguf";
    info.resolvedPath = "/blobs/abc";
    info.format = "gguf";
    info.name = std::string("\x1b]0;owned\x07<b>bold</b>\xFF") + std::string(5000, 'n');
    info.architecture = "llama";
    info.notRunnableReason = "x.gguf: general.architecture: unsupported";
    info.files = {{"/models/snap/model.safetensors", "/models/blobs/0123", 10}};
    m.setInfo(info, QStringLiteral("cpu"));
    const QString name = m.valueOf(QStringLiteral("name"));
    QVERIFY2(name.startsWith(QStringLiteral("\\x1b]0;owned\\x07<b>bold</b>\\xff")), qPrintable(name));
    QVERIFY(name.size() < 400);
    QVERIFY(name.contains(QStringLiteral("(5022 bytes)")));
    for (const QChar c : name)
        QVERIFY(c.unicode() >= 0x20 && c != QChar(0xFFFD));
    QCOMPARE(m.valueOf(QStringLiteral("file")), QStringLiteral("evil\\u{202E}fig.gguf"));
    QCOMPARE(m.valueOf(QStringLiteral("resolved")), QStringLiteral("/blobs/abc"));
    QCOMPARE(m.valueOf(QStringLiteral("model.safetensors")), QStringLiteral("→ /models/blobs/0123"));
    // The tooltip of a value that looks like markup is shown as text.
    for (int r = 0; r < m.rowCount(); ++r) {
        if (m.data(m.index(r, 0)).toString() != QStringLiteral("name"))
            continue;
        const QString tip = m.data(m.index(r, 1), Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("&lt;b&gt;bold&lt;/b&gt;")), qPrintable(tip));
    }
    QCOMPARE(plainToolTip(QStringLiteral("plain path")), QStringLiteral("plain path"));
    QCOMPARE(displayLines(QStringLiteral("a\x1b[2J\n\nb")), QStringLiteral("a\\x1b[2J\n\nb"));
}

void TestUiModels::escapedBytes()
{
    QCOMPARE(attnscope::escapedBytes(QByteArray("a b\\")), QStringLiteral("a\\x20b\\x5c"));
    QCOMPARE(attnscope::escapedBytes(QByteArray("\xf0\x9f", 2)), QStringLiteral("\\xf0\\x9f"));
}

QTEST_GUILESS_MAIN(TestUiModels)
#include "test_ui_models.moc"
