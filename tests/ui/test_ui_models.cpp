// Every item model under QAbstractItemModelTester, driven through its mutations, plus role values.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/display_text.h"
#include "ui/models/head_metrics_model.h"
#include "ui/models/head_ranking_model.h"
#include "ui/models/model_info_model.h"
#include "ui/models/received_attention_model.h"
#include "ui/models/token_list_model.h"
#include "ui/models/token_search.h"
#include "ui/widgets/capture_subset_dialog.h"

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
    void headRankingModel();
    void receivedAttentionModel();
    void tokenSearch();
    void indexRanges();
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

void TestUiModels::headRankingModel()
{
    HeadRankingModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    MetricsTable t;
    t.layers = 2;
    t.heads = 2;
    t.cells.assign(4, HeadMetrics::missing());
    t.cells[0].induction = 0.1;
    t.cells[1].induction = 0.7;
    t.cells[2].induction = 0.4;   // (1, 1) stays NaN: not computed
    t.cells[1].prevToken = 0.05;
    t.cells[2].prevToken = 0.9;
    m.setTable(t, 2);
    QCOMPARE(m.rowCount(), 4);
    QCOMPARE(m.columnCount(), HeadRankingModel::FirstScoreColumn + kHeadMetricCount);
    QCOMPARE(m.rankMetric(), HeadMetric::Induction);   // the default: induction, highest first
    auto head = [&](int row) {
        const QModelIndex i = m.index(row, 0);
        return QPair<int, int>(i.data(HeadRankingModel::LayerRole).toInt(), i.data(HeadRankingModel::HeadRole).toInt());
    };
    QCOMPARE(head(0), qMakePair(0, 1));
    QCOMPARE(head(1), qMakePair(1, 0));
    QCOMPARE(head(3), qMakePair(1, 1));   // NaN last
    QCOMPARE(m.index(0, HeadRankingModel::RankColumn).data().toString(), QStringLiteral("1"));
    const int ind = HeadRankingModel::columnOf(HeadMetric::Induction);
    QCOMPARE(m.index(0, ind).data(HeadRankingModel::ValueRole).toDouble(), 0.7);
    QVERIFY(!m.index(3, ind).data().isValid());   // empty, not "nan"
    QCOMPARE(m.rowOf(1, 0), 1);
    // Sorting a score column re-ranks through core's rankHeads.
    m.sort(HeadRankingModel::columnOf(HeadMetric::PrevToken), Qt::DescendingOrder);
    QCOMPARE(m.rankMetric(), HeadMetric::PrevToken);
    QCOMPARE(head(0), qMakePair(1, 0));
    m.sort(HeadRankingModel::columnOf(HeadMetric::PrevToken), Qt::AscendingOrder);
    QCOMPARE(head(0), qMakePair(0, 1));
    // Sorting by layer gives (layer, head) order.
    m.sort(HeadRankingModel::LayerColumn, Qt::AscendingOrder);
    QCOMPARE(head(0), qMakePair(0, 0));
    QCOMPARE(head(3), qMakePair(1, 1));
    QVERIFY(m.headerData(ind, Qt::Horizontal, Qt::ToolTipRole).toString().contains(QStringLiteral("induction")));
}

void TestUiModels::receivedAttentionModel()
{
    ReceivedAttentionModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setValues(2, 3, 3, {0.1, 0.2, 0.3, 0.4, std::nan(""), 0.5}, QStringLiteral("received"));
    QCOMPARE(m.rowCount(), 2);
    QCOMPARE(m.columnCount(), 3);
    QCOMPARE(m.minimum(), 0.1);
    QCOMPARE(m.maximum(), 0.5);
    QCOMPARE(m.index(1, 2).data(HeadMetricsModel::NormalisedRole).toDouble(), 1.0);
    QVERIFY(!m.index(1, 1).data(HeadMetricsModel::NormalisedRole).isValid());   // hatched
    QVERIFY(m.index(0, 0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("received")));
    m.setValues(2, 3, 3, {1, 2}, QString());   // wrong size: every cell empty rather than read out of bounds
    QVERIFY(!m.index(0, 0).data(HeadMetricsModel::ValueRole).isValid());
    m.setValues(0, 0, 1, {}, QString());
    QCOMPARE(m.rowCount(), 0);
}

void TestUiModels::tokenSearch()
{
    TokenRows rows;
    const char* pieces[] = {"The", " quick", " fox", " j", "umps", ".", " The", " FOX"};
    for (const char* p : pieces)
        rows.push_back({0, QString::fromUtf8(p), QByteArray(p), 0, 0});
    QCOMPARE(findTokens(rows, QStringLiteral("fox")), (QVector<int>{2, 7}));   // ASCII case does not matter
    QCOMPARE(findTokens(rows, QStringLiteral("jumps")), (QVector<int>{3}));    // a match across tokens
    QCOMPARE(findTokens(rows, QStringLiteral(" the")), (QVector<int>{6}));
    QCOMPARE(findTokens(rows, QStringLiteral("the")), (QVector<int>{0, 6}));
    QVERIFY(findTokens(rows, QStringLiteral("wolf")).isEmpty());
    QVERIFY(findTokens(rows, QString()).isEmpty());
    const QVector<int> m{2, 5, 9};
    QCOMPARE(nextMatch(m, 2), 5);
    QCOMPARE(nextMatch(m, 9), 2);            // wraps
    QCOMPARE(nextMatch(m, 2, true), 9);      // backwards, wrapping
    QCOMPARE(nextMatch(m, 6, true), 5);
    QCOMPARE(nextMatch({}, 0), -1);
}

void TestUiModels::indexRanges()
{
    QString why;
    QCOMPARE(*parseIndexRanges(QStringLiteral("all"), 3), (std::vector<int>{0, 1, 2}));
    QCOMPARE(*parseIndexRanges(QString(), 2), (std::vector<int>{0, 1}));
    QCOMPARE(*parseIndexRanges(QStringLiteral("0-2, 7 5"), 10), (std::vector<int>{0, 1, 2, 5, 7}));
    QCOMPARE(*parseIndexRanges(QStringLiteral("3,3,2-3"), 10), (std::vector<int>{2, 3}));
    QVERIFY(!parseIndexRanges(QStringLiteral("0-30"), 30, &why));
    QVERIFY(why.contains(QStringLiteral("outside")));
    QVERIFY(!parseIndexRanges(QStringLiteral("5-2"), 30));
    QVERIFY(!parseIndexRanges(QStringLiteral("x"), 30, &why));
    QVERIFY(!parseIndexRanges(QStringLiteral("-1"), 30));
    const CaptureMaskPtr mask = makeCaptureMask(3, 2, {0, 2}, {1});
    QCOMPARE(mask->size(), size_t(6));
    QCOMPARE(std::count(mask->begin(), mask->end(), uint8_t(1)), 2);
    QCOMPARE((*mask)[0 * 2 + 1], uint8_t(1));
    QCOMPARE((*mask)[2 * 2 + 1], uint8_t(1));
}

QTEST_GUILESS_MAIN(TestUiModels)
#include "test_ui_models.moc"
