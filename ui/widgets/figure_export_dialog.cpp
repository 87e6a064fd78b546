// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/widgets/figure_export_dialog.h"

#include "ui/render/figure_export.h"
#include "ui/widgets/figure_preview.h"
#include "ui/widgets/figure_style_editor.h"

#include <QClipboard>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QVBoxLayout>

namespace attnscope {

FigureExportDialog::FigureExportDialog(const FigureSpec& spec, FigureSourcePtr source, const QString& suggestedPath, QWidget* parent)
    : QDialog(parent)
    , m_spec(spec)
    , m_suggested(suggestedPath)
    , m_editor(new FigureStyleEditor(spec.panels.size() > 1))
    , m_preview(new FigurePreview)
{
    setObjectName(QStringLiteral("figureExportDialog"));
    setWindowTitle(tr("Export Figure"));
    m_editor->setStyle(spec.style);
    m_preview->setSource(std::move(source));
    m_preview->setSpec(spec);
    auto* note = new QLabel(tr("PDF: vector cells up to %L1 cells per heatmap, a lossless image above. Fonts: DejaVu Sans, "
                               "embedded. The same figure can be regenerated with attnscope-cli figure from a saved session.")
                                .arg(spec.style.vectorCellLimit));
    note->setWordWrap(true);
    note->setStyleSheet(QStringLiteral("color: palette(mid);"));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    QPushButton* exportButton = buttons->addButton(tr("Export…"), QDialogButtonBox::AcceptRole);
    exportButton->setObjectName(QStringLiteral("exportButton"));
    QPushButton* copyButton = buttons->addButton(tr("Copy"), QDialogButtonBox::ActionRole);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_editor);
    layout->addWidget(m_preview, 1);
    layout->addWidget(note);
    layout->addWidget(buttons);
    resize(720, 640);

    connect(m_editor, &FigureStyleEditor::changed, this, [this] { m_preview->setSpec(this->spec()); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(copyButton, &QPushButton::clicked, this, [this] { emit copyRequested(this->spec()); });
    connect(exportButton, &QPushButton::clicked, this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Export figure"), m_suggested,
                                                    tr("PDF (*.pdf);;SVG (*.svg);;PNG (*.png)"));
        if (path.isEmpty())
            return;
        if (!figureFormatForPath(path))
            path += QStringLiteral(".pdf");
        m_path = path;
        accept();
    });
}

FigureSpec FigureExportDialog::spec() const
{
    FigureSpec s = m_spec;
    s.style = m_editor->style();
    return s;
}

ClipboardFigure renderClipboardFigure(const FigureSpec& spec, FigureSourcePtr source)
{
    const FigureRenderer figure(spec, std::move(source));
    ClipboardFigure c;
    c.image = renderFigureImage(figure, spec.style.dpi);
    c.png = renderFigurePng(figure, spec.style.dpi);
    c.svg = renderFigureSvg(figure);
    return c;
}

void setClipboardFigure(const ClipboardFigure& figure)
{
    auto* mime = new QMimeData;
    mime->setImageData(figure.image);
    mime->setData(QStringLiteral("image/png"), figure.png);
    mime->setData(QStringLiteral("image/svg+xml"), figure.svg);
    QGuiApplication::clipboard()->setMimeData(mime);
}

} // namespace attnscope
