// File ▸ Export Figure: the view's (or the composer's) figure with its style controls (figure_style_editor.h)
// and a live preview; "Export…" asks for a .pdf, .svg or .png name and closes with it, "Copy" puts PNG and SVG
// on the clipboard. The main window writes the file on a worker. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_source.h"
#include "ui/render/figure_spec.h"

#include <QByteArray>
#include <QDialog>
#include <QImage>

namespace attnscope {

class FigurePreview;
class FigureStyleEditor;

class FigureExportDialog : public QDialog {
    Q_OBJECT
public:
    FigureExportDialog(const FigureSpec& spec, FigureSourcePtr source, const QString& suggestedPath, QWidget* parent = nullptr);
    /// The figure with the edited style.
    FigureSpec spec() const;
    /// The file chosen with Export… (empty when the dialog was closed without one).
    QString path() const { return m_path; }
    FigurePreview* preview() const { return m_preview; }
    FigureStyleEditor* styleEditor() const { return m_editor; }

signals:
    void copyRequested(const attnscope::FigureSpec& spec);

private:
    FigureSpec m_spec;
    QString m_suggested;
    QString m_path;
    FigureStyleEditor* m_editor;
    FigurePreview* m_preview;
};

/// What Ctrl+C puts on the clipboard: the figure as PNG (at its dpi; also as an image) and as SVG. Rendered on a
/// worker; set on the clipboard by the UI thread (setClipboardFigure).
struct ClipboardFigure {
    QImage image;
    QByteArray png;
    QByteArray svg;
};
ClipboardFigure renderClipboardFigure(const FigureSpec& spec, FigureSourcePtr source);
void setClipboardFigure(const ClipboardFigure& figure);

} // namespace attnscope
