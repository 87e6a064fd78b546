// CompareMetricsModel: formatting of the comparison's numbers.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/compare/compare_metrics_model.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

QString pct(double v)
{
    return std::isfinite(v) ? QStringLiteral("%1 %").arg(100.0 * v, 0, 'f', 1) : QStringLiteral("—");
}

QString num(double v, int decimals)
{
    return std::isfinite(v) ? QString::number(v, 'f', decimals) : QStringLiteral("—");
}

} // namespace

CompareMetricsModel::CompareMetricsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void CompareMetricsModel::setOutcome(CompareOutcomePtr outcome)
{
    beginResetModel();
    m_outcome = std::move(outcome);
    m_columns.clear();
    const bool lm = !m_outcome || !m_outcome->result || m_outcome->result->hasLmHead;
    m_columns << Name;
    if (lm)
        m_columns << Perplexity << KlMean << KlMax << Top1;
    else
        m_columns << CosineMean << CosineMin;
    m_columns << MassOutside << StartLayer << Millis;
    endResetModel();
}

int CompareMetricsModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_outcome || !m_outcome->result)
        return 0;
    return 1 + static_cast<int>(m_outcome->result->variants.size());
}

int CompareMetricsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_columns.size());
}

QVariant CompareMetricsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= m_columns.size())
        return {};
    const Column c = m_columns[section];
    if (role == Qt::DisplayRole) {
        switch (c) {
        case Name: return tr("variant");
        case Perplexity: return tr("ppl");
        case KlMean: return tr("KL mean");
        case KlMax: return tr("KL max");
        case Top1: return tr("top-1 agree");
        case CosineMean: return tr("cosine mean");
        case CosineMin: return tr("cosine min");
        case MassOutside: return tr("mass outside");
        case StartLayer: return tr("from layer");
        case Millis: return tr("ms");
        case ColumnCount: break;
        }
    } else if (role == Qt::ToolTipRole) {
        switch (c) {
        case Perplexity: return tr("exp(mean −log p(next token)) over the text");
        case KlMean: return tr("mean over positions of KL(baseline ‖ variant) of the next-token distributions, nats");
        case KlMax: return tr("largest per-position KL(baseline ‖ variant), nats");
        case Top1: return tr("share of positions whose most likely next token is the baseline's");
        case CosineMean: return tr("mean over positions of the cosine of the output hidden states");
        case CosineMin: return tr("smallest per-position cosine of the output hidden states");
        case MassOutside:
            return tr("share of the baseline's attention mass outside the variant's mask, mean over the heads of the "
                      "layers the variant replaces");
        case StartLayer: return tr("the variant's forward started here; the layers below reuse the baseline's stream");
        case Millis: return tr("forward time");
        default: break;
        }
    }
    return {};
}

QVariant CompareMetricsModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !m_outcome || !m_outcome->result || index.column() >= m_columns.size())
        return {};
    const CompareResult& r = *m_outcome->result;
    const Column c = m_columns[index.column()];
    const int row = index.row();
    if (row < 0 || row > static_cast<int>(r.variants.size()))
        return {};
    if (role == Qt::TextAlignmentRole)
        return c == Name ? QVariant(Qt::AlignLeft | Qt::AlignVCenter) : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (row == 0) {
        if (role == Qt::DisplayRole) {
            switch (c) {
            case Name: return tr("baseline (full)");
            case Perplexity: return num(r.baselinePerplexity, 2);
            case Millis: return num(r.baselineTimings.totalMs, 0);
            default: return QStringLiteral("—");
            }
        }
        if (role == Qt::UserRole && c == Perplexity)
            return r.baselinePerplexity;
        return {};
    }
    const VariantComparison& v = r.variants[static_cast<size_t>(row - 1)];
    double raw = std::nan("");
    switch (c) {
    case Perplexity: raw = v.perplexity; break;
    case KlMean: raw = v.klMean; break;
    case KlMax: raw = v.klMax; break;
    case Top1: raw = v.top1Agreement; break;
    case CosineMean: raw = v.cosineMean; break;
    case CosineMin:
        raw = v.cosinePerPosition.empty() ? std::nan("") : *std::min_element(v.cosinePerPosition.begin(), v.cosinePerPosition.end());
        break;
    case MassOutside: raw = v.massOutsideMean; break;
    case StartLayer: raw = v.startLayer; break;
    case Millis: raw = v.timings.totalMs; break;
    default: break;
    }
    if (role == Qt::UserRole)
        return raw;
    if (role == Qt::ToolTipRole && c == Name)
        return QString::fromStdString(v.spec.describe());
    if (role != Qt::DisplayRole)
        return {};
    switch (c) {
    case Name: return tr("%1: %2").arg(row).arg(QString::fromStdString(v.spec.toString()));
    case Perplexity: return num(raw, 2);
    case KlMean:
    case KlMax: return num(raw, 3);
    case Top1:
    case MassOutside: return pct(raw);
    case CosineMean:
    case CosineMin: return num(raw, 4);
    case StartLayer: return v.startLayer >= r.shape.layers ? tr("none") : QString::number(v.startLayer);
    case Millis: return num(raw, 0);
    default: return {};
    }
}

} // namespace attnscope
