// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/figure_style_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>

#include <cmath>

namespace attnscope {

FigureStyleEditor::FigureStyleEditor(bool multiPanel, QWidget* parent)
    : QWidget(parent)
    , m_width(new QComboBox)
    , m_customIn(new QDoubleSpinBox)
    , m_dpi(new QComboBox)
    , m_font(new QDoubleSpinBox)
    , m_title(new QLineEdit)
    , m_panelTitles(new QCheckBox(tr("Panel titles")))
    , m_tokenLabels(new QCheckBox(tr("Token labels")))
    , m_axisLabels(new QCheckBox(tr("Axis labels")))
    , m_colorbar(new QCheckBox(tr("Colourbar")))
{
    m_width->setObjectName(QStringLiteral("figureWidth"));
    m_width->addItem(tr("One column (3.25 in)"), kOneColumnPt);
    m_width->addItem(tr("Text width 5.5 in"), kMidWidthPt);
    m_width->addItem(tr("Two columns (6.75 in)"), kTwoColumnPt);
    m_width->addItem(tr("Custom"), 0.0);
    m_customIn->setObjectName(QStringLiteral("figureCustomWidth"));
    m_customIn->setRange(kMinWidthPt / 72.0, kMaxWidthPt / 72.0);
    m_customIn->setDecimals(2);
    m_customIn->setSuffix(tr(" in"));
    m_customIn->setSingleStep(0.25);
    m_dpi->setObjectName(QStringLiteral("figureDpi"));
    m_dpi->setEditable(true);
    for (int d : {150, 300, 600})
        m_dpi->addItem(QString::number(d), d);
    m_dpi->setToolTip(tr("PNG resolution; PDF and SVG are vector (and lossless images above the cell limit)"));
    m_font->setObjectName(QStringLiteral("figureFont"));
    m_font->setRange(5, 16);
    m_font->setSingleStep(0.5);
    m_font->setSuffix(tr(" pt"));
    m_title->setObjectName(QStringLiteral("figureTitle"));
    m_title->setPlaceholderText(tr("no title"));
    auto* width = new QHBoxLayout;
    width->setContentsMargins(0, 0, 0, 0);
    width->addWidget(m_width, 1);
    width->addWidget(m_customIn);
    auto* labels = new QHBoxLayout;
    labels->setContentsMargins(0, 0, 0, 0);
    for (QCheckBox* c : {m_panelTitles, m_tokenLabels, m_axisLabels, m_colorbar})
        labels->addWidget(c);
    auto* form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Width:"), width);
    form->addRow(tr("PNG dpi:"), m_dpi);
    form->addRow(tr("Font size:"), m_font);
    form->addRow(tr("Title:"), m_title);
    form->addRow(tr("Draw:"), labels);
    if (multiPanel) {
        m_letters = new QCheckBox(tr("Panel letters (a), (b), …"));
        m_sharing = new QComboBox;
        m_sharing->setObjectName(QStringLiteral("figureSharing"));
        m_sharing->addItem(tr("One colour scale for the figure"), scaleSharingId(ScaleSharing::Figure));
        m_sharing->addItem(tr("One colour scale per row"), scaleSharingId(ScaleSharing::Row));
        m_sharing->addItem(tr("One colour scale per panel"), scaleSharingId(ScaleSharing::Panel));
        form->addRow(tr("Colour scale:"), m_sharing);
        form->addRow(QString(), m_letters);
        connect(m_letters, &QCheckBox::toggled, this, &FigureStyleEditor::changed);
        connect(m_sharing, &QComboBox::currentIndexChanged, this, &FigureStyleEditor::changed);
    }
    connect(m_width, &QComboBox::currentIndexChanged, this, [this] {
        syncCustom();
        emit changed();
    });
    connect(m_customIn, &QDoubleSpinBox::valueChanged, this, &FigureStyleEditor::changed);
    connect(m_dpi, &QComboBox::currentTextChanged, this, &FigureStyleEditor::changed);
    connect(m_font, &QDoubleSpinBox::valueChanged, this, &FigureStyleEditor::changed);
    connect(m_title, &QLineEdit::textChanged, this, &FigureStyleEditor::changed);
    for (QCheckBox* c : {m_panelTitles, m_tokenLabels, m_axisLabels, m_colorbar})
        connect(c, &QCheckBox::toggled, this, &FigureStyleEditor::changed);
    setStyle(FigureStyle());
}

void FigureStyleEditor::syncCustom()
{
    m_customIn->setEnabled(m_width->currentData().toDouble() <= 0);
}

void FigureStyleEditor::setStyle(const FigureStyle& s)
{
    const QSignalBlocker b0(this);
    m_base = s;
    int preset = 3;
    for (int i = 0; i < 3; ++i)
        if (std::fabs(m_width->itemData(i).toDouble() - s.widthPt) < 0.01)
            preset = i;
    {
        const QSignalBlocker b1(m_width), b2(m_customIn), b3(m_dpi), b4(m_font), b5(m_title);
        m_width->setCurrentIndex(preset);
        m_customIn->setValue(s.widthPt / 72.0);
        m_dpi->setCurrentText(QString::number(s.dpi));
        m_font->setValue(s.fontPt);
        m_title->setText(s.title);
    }
    for (auto [box, on] : {std::pair{m_panelTitles, s.panelTitles}, std::pair{m_tokenLabels, s.tokenLabels},
                           std::pair{m_axisLabels, s.axisLabels}, std::pair{m_colorbar, s.colorbar}}) {
        const QSignalBlocker b(box);
        box->setChecked(on);
    }
    if (m_letters) {
        const QSignalBlocker b(m_letters), b2(m_sharing);
        m_letters->setChecked(s.panelLetters);
        m_sharing->setCurrentIndex(std::max(0, m_sharing->findData(scaleSharingId(s.sharing))));
    }
    syncCustom();
}

FigureStyle FigureStyleEditor::style() const
{
    FigureStyle s = m_base;
    const double preset = m_width->currentData().toDouble();
    s.widthPt = preset > 0 ? preset : m_customIn->value() * 72.0;
    bool ok = false;
    const int dpi = m_dpi->currentText().toInt(&ok);
    s.dpi = ok ? std::clamp(dpi, kMinDpi, kMaxDpi) : s.dpi;
    s.fontPt = m_font->value();
    s.title = m_title->text();
    s.panelTitles = m_panelTitles->isChecked();
    s.tokenLabels = m_tokenLabels->isChecked();
    s.axisLabels = m_axisLabels->isChecked();
    s.colorbar = m_colorbar->isChecked();
    if (m_letters) {
        s.panelLetters = m_letters->isChecked();
        const QString id = m_sharing->currentData().toString();
        for (ScaleSharing k : {ScaleSharing::Figure, ScaleSharing::Row, ScaleSharing::Panel})
            if (id == scaleSharingId(k))
                s.sharing = k;
    }
    return s;
}

} // namespace attnscope
