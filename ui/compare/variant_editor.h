// The variant editor of the compare workspace (docs/GUI.md "Compare", docs/VARIANTS.md): the list of what-if
// variants (up to three) and a form for the selected one — the kind, one field per parameter of that kind (from
// core's parameter table; blank = default, shown as a placeholder), the @layers set — plus a raw text field with the
// spec string. Everything is validated as you type with core's own parser (AttentionSpec::parse, and the model's
// limits once a model is open): the reason appears in red under the form, naming the bad key; a valid spec shows
// its description and canonical string, and the raw field takes the canonical form when editing finishes.
// The list is what sessions store. Threading: UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/attention/attention_spec.h"

#include <QMap>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <vector>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;

namespace attnscope {

class LoadedModel;

class VariantEditor : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxVariants = 3;

    explicit VariantEditor(QWidget* parent = nullptr);

    /// Also checks @layers and regrouping against this model (null: the spec's own rules only).
    void setModel(std::shared_ptr<const LoadedModel> model);

    /// The variants as typed (canonical once valid), in list order.
    QStringList variantTexts() const;
    /// Replaces the list (at most kMaxVariants are kept); selects the first.
    void setVariantTexts(const QStringList& texts);
    void addVariant(const QString& text);
    void removeCurrent();
    int currentIndex() const;
    void setCurrentIndex(int index);

    /// Empty when `text` is a valid spec for the current model (then *spec is set), else the reason.
    QString validate(const QString& text, AttentionSpec* spec = nullptr) const;
    /// Every variant parsed; false with "variant 2 (…): reason" at the first bad one, or when there is none.
    bool specs(std::vector<AttentionSpec>& out, QString* error) const;

    // The form's widgets (tests, focus).
    QListWidget* list() const { return m_list; }
    QComboBox* kindCombo() const { return m_kind; }
    QLineEdit* rawEdit() const { return m_raw; }
    QLineEdit* layersEdit() const { return m_layers; }
    /// The field of a parameter of the current kind (null when the kind has no such key).
    QLineEdit* paramEdit(const QString& key) const { return m_params.value(key, nullptr); }
    QLabel* errorLabel() const { return m_error; }
    QLabel* infoLabel() const { return m_info; }

signals:
    /// The list or a variant's text changed.
    void variantsChanged();

private:
    void rebuildParamFields();
    /// Kind, parameter or layer field edited: compose the spec text, validate, show.
    void formEdited();
    void rawEdited(const QString& text);
    void rawFinished();
    /// Fills the form and the raw field from a text (selection changes, session restore).
    void loadText(const QString& text);
    void fillForm(const AttentionSpec& spec);
    /// Stores the current item's text and shows the validation outcome.
    void apply(const QString& text);
    void updateButtons();

    std::shared_ptr<const LoadedModel> m_model;
    QListWidget* m_list;
    QPushButton* m_add;
    QPushButton* m_remove;
    QComboBox* m_kind;
    QLabel* m_summary;
    QWidget* m_paramBox;
    QFormLayout* m_paramForm;
    QMap<QString, QLineEdit*> m_params;
    QLineEdit* m_layers;
    QLineEdit* m_raw;
    QLabel* m_error;
    QLabel* m_info;
    bool m_loading = false;
};

} // namespace attnscope
