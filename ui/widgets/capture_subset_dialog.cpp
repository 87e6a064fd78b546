// CaptureSubsetDialog and the index-range parser behind it.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/capture_subset_dialog.h"

#include "core/util/memory_budget.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace attnscope {

std::optional<std::vector<int>> parseIndexRanges(const QString& text, int count, QString* error)
{
    auto fail = [&](const QString& why) -> std::optional<std::vector<int>> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    const QString t = text.trimmed();
    std::vector<int> all(static_cast<size_t>(std::max(0, count)));
    for (int i = 0; i < count; ++i)
        all[static_cast<size_t>(i)] = i;
    if (t.isEmpty() || t.compare(QStringLiteral("all"), Qt::CaseInsensitive) == 0)
        return all;
    std::set<int> chosen;
    static const QRegularExpression sep(QStringLiteral("[,\\s]+"));
    static const QRegularExpression item(QStringLiteral("^(\\d+)(?:-(\\d+))?$"));
    for (const QString& part : t.split(sep, Qt::SkipEmptyParts)) {
        const QRegularExpressionMatch m = item.match(part);
        if (!m.hasMatch())
            return fail(QObject::tr("“%1” is not an index or a range like 3-7").arg(part));
        bool ok1 = false, ok2 = true;
        const int a = m.captured(1).toInt(&ok1);
        const int b = m.captured(2).isEmpty() ? a : m.captured(2).toInt(&ok2);
        if (!ok1 || !ok2 || a > b || b >= count)
            return fail(QObject::tr("%1 is outside 0–%2").arg(part).arg(count - 1));
        for (int i = a; i <= b; ++i)
            chosen.insert(i);
    }
    if (chosen.empty())
        return fail(QObject::tr("choose at least one"));
    return std::vector<int>(chosen.begin(), chosen.end());
}

CaptureMaskPtr makeCaptureMask(int layers, int heads, const std::vector<int>& chosenLayers, const std::vector<int>& chosenHeads)
{
    auto mask = std::make_shared<CaptureMask>(static_cast<size_t>(layers) * static_cast<size_t>(heads), uint8_t(0));
    for (int l : chosenLayers)
        for (int h : chosenHeads)
            if (l >= 0 && l < layers && h >= 0 && h < heads)
                (*mask)[static_cast<size_t>(l) * static_cast<size_t>(heads) + static_cast<size_t>(h)] = 1;
    return mask;
}

CaptureSubsetDialog::CaptureSubsetDialog(const CaptureRefusal& refusal, QWidget* parent)
    : QDialog(parent)
    , m_refusal(refusal)
    , m_layers(new QLineEdit)
    , m_heads(new QLineEdit)
    , m_estimate(new QLabel)
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel))
{
    setObjectName(QStringLiteral("captureSubsetDialog"));
    setWindowTitle(tr("Prompt too long for every head"));
    auto* why = new QLabel(
        tr("<p>%1 tokens need <b>%2</b> for the maps of %3 heads; the budget is %4 (80% of available memory).</p>"
           "<p>Up to <b>%5 tokens</b> fit with every head. At this length the maps of <b>%6 heads</b> fit: "
           "capture a subset instead.</p>")
            .arg(refusal.tokens).arg(QString::fromStdString(formatBytes(refusal.neededBytes))).arg(refusal.capturedHeads)
            .arg(QString::fromStdString(formatBytes(refusal.budgetBytes))).arg(refusal.maxTokensAllHeads)
            .arg(refusal.maxHeads));
    why->setWordWrap(true);
    m_layers->setObjectName(QStringLiteral("subsetLayers"));
    m_heads->setObjectName(QStringLiteral("subsetHeads"));
    m_layers->setPlaceholderText(tr("all, or e.g. 0-5, 17"));
    m_heads->setPlaceholderText(tr("all, or e.g. 0-2"));
    // Suggest the first layers that fit with every head.
    const quint64 perLayer = captureBytes(refusal.tokens, static_cast<uint64_t>(std::max(1, refusal.heads)));
    const int fitLayers = perLayer ? static_cast<int>(std::min<quint64>(refusal.budgetBytes / perLayer, static_cast<quint64>(refusal.layers))) : 0;
    m_layers->setText(fitLayers > 0 ? QStringLiteral("0-%1").arg(fitLayers - 1) : QStringLiteral("0"));
    m_heads->setText(fitLayers > 0 ? QStringLiteral("all") : QStringLiteral("0"));
    m_estimate->setObjectName(QStringLiteral("subsetEstimate"));
    m_estimate->setWordWrap(true);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Capture subset"));
    auto* form = new QFormLayout;
    form->addRow(tr("Layers (of 0–%1):").arg(refusal.layers - 1), m_layers);
    form->addRow(tr("Heads (of 0–%1):").arg(refusal.heads - 1), m_heads);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(why);
    layout->addLayout(form);
    layout->addWidget(m_estimate);
    layout->addWidget(m_buttons);
    connect(m_layers, &QLineEdit::textChanged, this, &CaptureSubsetDialog::update);
    connect(m_heads, &QLineEdit::textChanged, this, &CaptureSubsetDialog::update);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    update();
}

CaptureMaskPtr CaptureSubsetDialog::mask() const
{
    const auto layers = parseIndexRanges(m_layers->text(), m_refusal.layers);
    const auto heads = parseIndexRanges(m_heads->text(), m_refusal.heads);
    if (!layers || !heads)
        return nullptr;
    const quint64 need = captureBytes(m_refusal.tokens, layers->size() * heads->size());
    if (m_refusal.budgetBytes && need > m_refusal.budgetBytes)
        return nullptr;
    return makeCaptureMask(m_refusal.layers, m_refusal.heads, *layers, *heads);
}

void CaptureSubsetDialog::update()
{
    QString why;
    const auto layers = parseIndexRanges(m_layers->text(), m_refusal.layers, &why);
    std::optional<std::vector<int>> heads;
    if (layers)
        heads = parseIndexRanges(m_heads->text(), m_refusal.heads, &why);
    bool ok = false;
    if (!layers || !heads) {
        m_estimate->setText(why);
    } else {
        const size_t n = layers->size() * heads->size();
        const quint64 need = captureBytes(m_refusal.tokens, n);
        ok = !m_refusal.budgetBytes || need <= m_refusal.budgetBytes;
        m_estimate->setText(tr("%1 maps · %2 of the %3 budget%4")
                                .arg(n).arg(QString::fromStdString(formatBytes(need)))
                                .arg(QString::fromStdString(formatBytes(m_refusal.budgetBytes)))
                                .arg(ok ? QString() : tr(" — too many: choose fewer")));
    }
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
}

} // namespace attnscope
