// VariantEditor: list of variants, parameter form built from core's table, validation with core's parser.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/compare/variant_editor.h"

#include "core/model/loaded_model.h"
#include "core/session/run_request.h"
#include "core/util/error.h"
#include "ui/models/display_text.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace attnscope {

namespace {

constexpr int kTextRole = Qt::UserRole + 1;
constexpr int kValidRole = Qt::UserRole + 2;

const VariantInfo* infoFor(const QString& name)
{
    for (const VariantInfo& v : variantTable())
        if (name == QLatin1String(v.name))
            return &v;
    return nullptr;
}

QString formatNumber(double v, bool integer)
{
    return integer ? QString::number(static_cast<qint64>(v)) : QString::number(v, 'g', 12);
}

} // namespace

VariantEditor::VariantEditor(QWidget* parent)
    : QWidget(parent)
    , m_list(new QListWidget(this))
    , m_add(new QPushButton(tr("Add"), this))
    , m_remove(new QPushButton(tr("Remove"), this))
    , m_kind(new QComboBox(this))
    , m_summary(new QLabel(this))
    , m_paramBox(new QWidget(this))
    , m_paramForm(new QFormLayout(m_paramBox))
    , m_layers(new QLineEdit(this))
    , m_raw(new QLineEdit(this))
    , m_error(new QLabel(this))
    , m_info(new QLabel(this))
{
    setObjectName(QStringLiteral("variantEditor"));
    m_list->setObjectName(QStringLiteral("variantList"));
    m_list->setMaximumHeight(4 * m_list->fontMetrics().height() + 12);
    m_list->setToolTip(tr("The what-if variants compared with the baseline (at most %1)").arg(kMaxVariants));
    m_add->setObjectName(QStringLiteral("addVariant"));
    m_remove->setObjectName(QStringLiteral("removeVariant"));
    m_kind->setObjectName(QStringLiteral("variantKind"));
    for (const VariantInfo& v : variantTable()) {
        m_kind->addItem(QString::fromUtf8(v.name), QString::fromUtf8(v.name));
        m_kind->setItemData(m_kind->count() - 1, QString::fromUtf8(v.summary), Qt::ToolTipRole);
    }
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setStyleSheet(QStringLiteral("color: palette(mid);"));
    m_paramForm->setContentsMargins(0, 0, 0, 0);
    m_layers->setObjectName(QStringLiteral("variantLayers"));
    m_layers->setPlaceholderText(tr("all layers (e.g. 20-29 or 5,11,17)"));
    m_layers->setToolTip(tr("@layers: the layers the variant replaces; the others keep the model's own attention"));
    m_raw->setObjectName(QStringLiteral("variantRaw"));
    m_raw->setPlaceholderText(tr("NAME[:key=value,…][@layers=SET]"));
    m_raw->setToolTip(tr("The spec string, as attnscope-cli compare --variant takes it (docs/VARIANTS.md)"));
    m_error->setObjectName(QStringLiteral("variantError"));
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_error->hide();
    m_info->setObjectName(QStringLiteral("variantInfo"));
    m_info->setWordWrap(true);
    m_info->setTextFormat(Qt::PlainText);
    m_info->setStyleSheet(QStringLiteral("color: #1e6b30;"));

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_add);
    buttons->addWidget(m_remove);
    buttons->addStretch(1);
    auto* form = new QFormLayout;
    form->addRow(tr("Kind"), m_kind);
    form->addRow(m_summary);
    form->addRow(m_paramBox);
    form->addRow(tr("@layers"), m_layers);
    form->addRow(tr("Spec"), m_raw);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_list);
    layout->addLayout(buttons);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(m_info);
    layout->addStretch(1);

    connect(m_add, &QPushButton::clicked, this, [this] { addVariant(QStringLiteral("sliding:window=64")); });
    connect(m_remove, &QPushButton::clicked, this, &VariantEditor::removeCurrent);
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0)
            loadText(m_list->item(row)->data(kTextRole).toString());
        updateButtons();
    });
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this] {
        if (m_loading)
            return;
        rebuildParamFields();
        formEdited();
    });
    connect(m_layers, &QLineEdit::textEdited, this, &VariantEditor::formEdited);
    connect(m_raw, &QLineEdit::textEdited, this, &VariantEditor::rawEdited);
    connect(m_raw, &QLineEdit::editingFinished, this, &VariantEditor::rawFinished);
    rebuildParamFields();
    updateButtons();
}

void VariantEditor::setModel(std::shared_ptr<const LoadedModel> model)
{
    m_model = std::move(model);
    // Re-check every variant against the new model's layers and heads.
    for (int i = 0; i < m_list->count(); ++i) {
        QListWidgetItem* item = m_list->item(i);
        const QString text = item->data(kTextRole).toString();
        const QString why = validate(text);
        item->setData(kValidRole, why.isEmpty());
        item->setText(why.isEmpty() ? text : QStringLiteral("⚠ ") + text);
        item->setToolTip(why.isEmpty() ? text : why);
    }
    if (m_list->currentRow() >= 0)
        loadText(m_list->currentItem()->data(kTextRole).toString());
}

QStringList VariantEditor::variantTexts() const
{
    QStringList out;
    for (int i = 0; i < m_list->count(); ++i)
        out << m_list->item(i)->data(kTextRole).toString();
    return out;
}

void VariantEditor::setVariantTexts(const QStringList& texts)
{
    m_list->clear();
    for (const QString& t : texts.mid(0, kMaxVariants)) {
        auto* item = new QListWidgetItem(m_list);
        item->setData(kTextRole, t);
        const QString why = validate(t);
        item->setData(kValidRole, why.isEmpty());
        item->setText(why.isEmpty() ? t : QStringLiteral("⚠ ") + t);
        item->setToolTip(why.isEmpty() ? t : why);
    }
    if (m_list->count() > 0)
        m_list->setCurrentRow(0);
    else
        loadText(QString());
    updateButtons();
    emit variantsChanged();
}

void VariantEditor::addVariant(const QString& text)
{
    if (m_list->count() >= kMaxVariants)
        return;
    auto* item = new QListWidgetItem(m_list);
    item->setData(kTextRole, text);
    m_list->setCurrentRow(m_list->count() - 1);
    apply(text);
    updateButtons();
    emit variantsChanged();
}

void VariantEditor::removeCurrent()
{
    const int row = m_list->currentRow();
    if (row < 0)
        return;
    delete m_list->takeItem(row);
    if (m_list->count() == 0)
        loadText(QString());
    updateButtons();
    emit variantsChanged();
}

int VariantEditor::currentIndex() const
{
    return m_list->currentRow();
}

void VariantEditor::setCurrentIndex(int index)
{
    m_list->setCurrentRow(index);
}

void VariantEditor::updateButtons()
{
    m_add->setEnabled(m_list->count() < kMaxVariants);
    m_remove->setEnabled(m_list->currentRow() >= 0);
    const bool editing = m_list->currentRow() >= 0;
    for (QWidget* w : {static_cast<QWidget*>(m_kind), static_cast<QWidget*>(m_paramBox), static_cast<QWidget*>(m_layers),
                       static_cast<QWidget*>(m_raw)})
        w->setEnabled(editing);
}

QString VariantEditor::validate(const QString& text, AttentionSpec* spec) const
{
    try {
        AttentionSpec s = AttentionSpec::parse(text.toStdString());
        if (m_model)
            checkVariant(m_model->config(), s);
        if (spec)
            *spec = std::move(s);
        return {};
    } catch (const Error& e) {
        return displayLines(QString::fromStdString(e.reason()));
    }
}

bool VariantEditor::specs(std::vector<AttentionSpec>& out, QString* error) const
{
    out.clear();
    if (m_list->count() == 0) {
        if (error)
            *error = tr("add a variant to compare with the baseline (e.g. sliding:window=64)");
        return false;
    }
    for (int i = 0; i < m_list->count(); ++i) {
        const QString text = m_list->item(i)->data(kTextRole).toString();
        AttentionSpec s;
        const QString why = validate(text, &s);
        if (!why.isEmpty()) {
            if (error)
                *error = tr("variant %1 (%2): %3").arg(i + 1).arg(displayText(text, 80), why);
            return false;
        }
        out.push_back(std::move(s));
    }
    return true;
}

void VariantEditor::rebuildParamFields()
{
    // Remove the old kind's fields.
    while (m_paramForm->rowCount() > 0)
        m_paramForm->removeRow(0);
    m_params.clear();
    const VariantInfo* info = infoFor(m_kind->currentData().toString());
    m_summary->setText(info ? QString::fromUtf8(info->summary) : QString());
    if (!info)
        return;
    for (const VariantParamInfo& p : info->params) {
        auto* edit = new QLineEdit(m_paramBox);
        const QString key = QString::fromUtf8(p.key);
        edit->setObjectName(QStringLiteral("param_") + key);
        edit->setPlaceholderText(p.defaultValue ? (*p.defaultValue ? tr("default %1").arg(QString::fromUtf8(p.defaultValue)) : tr("none"))
                                                : tr("required"));
        edit->setToolTip(QStringLiteral("%1 (%2): %3").arg(key, QString::fromUtf8(p.type), QString::fromUtf8(p.help)));
        connect(edit, &QLineEdit::textEdited, this, &VariantEditor::formEdited);
        m_paramForm->addRow(key, edit);
        m_params.insert(key, edit);
    }
}

void VariantEditor::formEdited()
{
    if (m_loading || m_list->currentRow() < 0)
        return;
    QString text = m_kind->currentData().toString();
    QStringList params;
    const VariantInfo* info = infoFor(text);
    if (info)
        for (const VariantParamInfo& p : info->params) {
            const QString key = QString::fromUtf8(p.key);
            const QString value = m_params.value(key) ? m_params.value(key)->text().trimmed() : QString();
            if (!value.isEmpty())
                params << key + QLatin1Char('=') + value;
        }
    if (!params.isEmpty())
        text += QLatin1Char(':') + params.join(QLatin1Char(','));
    if (!m_layers->text().trimmed().isEmpty())
        text += QStringLiteral("@layers=") + m_layers->text().trimmed();
    AttentionSpec spec;
    const bool valid = validate(text, &spec).isEmpty();
    m_raw->setText(valid ? QString::fromStdString(spec.toString()) : text);
    apply(valid ? QString::fromStdString(spec.toString()) : text);
}

void VariantEditor::rawEdited(const QString& text)
{
    if (m_list->currentRow() < 0)
        return;
    AttentionSpec spec;
    if (validate(text, &spec).isEmpty())
        fillForm(spec);   // the form follows a valid text; an invalid one leaves it as it was
    apply(text);
}

void VariantEditor::rawFinished()
{
    if (m_list->currentRow() < 0)
        return;
    AttentionSpec spec;
    if (!validate(m_raw->text(), &spec).isEmpty())
        return;
    const QString canonical = QString::fromStdString(spec.toString());
    if (canonical != m_raw->text()) {
        m_raw->setText(canonical);
        apply(canonical);
    }
}

void VariantEditor::fillForm(const AttentionSpec& spec)
{
    m_loading = true;
    const int idx = m_kind->findData(QString::fromUtf8(spec.name()));
    if (idx != m_kind->currentIndex()) {
        m_kind->setCurrentIndex(idx);
        rebuildParamFields();
    }
    for (const VariantInfo& v : variantTable()) {
        if (v.kind != spec.kind)
            continue;
        for (const VariantParamInfo& p : v.params) {
            const std::string key = p.key;
            QString value;
            if (auto it = spec.numbers.find(key); it != spec.numbers.end())
                value = formatNumber(it->second, QLatin1String(p.type) == QLatin1String("int"));
            else if (auto il = spec.lists.find(key); il != spec.lists.end()) {
                QStringList items;
                for (int64_t x : il->second)
                    items << QString::number(x);
                value = items.join(QLatin1Char(';'));
            } else if (auto iw = spec.words.find(key); iw != spec.words.end())
                value = QString::fromStdString(iw->second);
            if (QLineEdit* e = m_params.value(QString::fromUtf8(p.key)))
                e->setText(value);
        }
    }
    m_layers->setText(QString::fromStdString(spec.layers.toString()));
    m_loading = false;
}

void VariantEditor::loadText(const QString& text)
{
    m_raw->setText(text);
    AttentionSpec spec;
    if (!text.isEmpty() && validate(text, &spec).isEmpty()) {
        fillForm(spec);
    } else {
        // Show the kind the text names, if any, with blank fields.
        m_loading = true;
        const int idx = m_kind->findData(text.section(QLatin1Char(':'), 0, 0).section(QLatin1Char('@'), 0, 0).trimmed());
        if (idx >= 0 && idx != m_kind->currentIndex()) {
            m_kind->setCurrentIndex(idx);
            rebuildParamFields();
        }
        for (QLineEdit* e : m_params)
            e->clear();
        m_layers->clear();
        m_loading = false;
    }
    if (text.isEmpty()) {
        m_error->hide();
        m_info->setText(m_list->count() == 0 ? tr("No variants: Add one to compare with the baseline.") : QString());
        return;
    }
    const QString why = validate(text, &spec);
    m_error->setVisible(!why.isEmpty());
    m_error->setText(why);
    m_info->setText(why.isEmpty() ? QString::fromStdString(spec.describe()) : QString());
}

void VariantEditor::apply(const QString& text)
{
    QListWidgetItem* item = m_list->currentItem();
    AttentionSpec spec;
    const QString why = validate(text, &spec);
    m_error->setVisible(!why.isEmpty());
    m_error->setText(why);
    m_info->setText(why.isEmpty() ? tr("%1 · %2").arg(QString::fromStdString(spec.describe()), QString::fromStdString(spec.toString()))
                                  : QString());
    if (!item)
        return;
    const bool changed = item->data(kTextRole).toString() != text;
    item->setData(kTextRole, text);
    item->setData(kValidRole, why.isEmpty());
    item->setText(why.isEmpty() ? text : QStringLiteral("⚠ ") + text);
    item->setToolTip(why.isEmpty() ? QString::fromStdString(spec.describe()) : why);
    if (changed)
        emit variantsChanged();
}

} // namespace attnscope
