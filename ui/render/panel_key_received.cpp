// "key" panel: the key view — for one key token, the attention it receives in every layer and head (the mean
// over the queries after it, core/metrics/attention_received.h), as a layers × heads table.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/attention_received.h"
#include "ui/render/panel_kinds.h"

#include <cmath>
#include <limits>

namespace attnscope {

namespace {

class KeyReceivedKind final : public PanelKind {
public:
    QString id() const override { return QStringLiteral("key"); }
    QString label() const override { return QStringLiteral("Key view (attention a token receives)"); }

    PanelContentPtr prepare(const PanelSpec& spec, const FigureSource& source, const FigureStyle& style) const override
    {
        const int n = source.tokenCount();
        if (n <= 0 || source.layers <= 0)
            return placeholderPanel(QStringLiteral("Key view"), QStringLiteral("no run"));
        const int key = spec.key < 0 || spec.key >= n ? 0 : spec.key;
        LayerHeadTable t;
        std::tie(t.layerFirst, t.layers) = layerRange(spec, source.layers);
        t.layers = t.layers - t.layerFirst + 1;
        t.heads = source.heads;
        double hi = 0;
        for (int l = t.layerFirst; l < t.layerFirst + t.layers; ++l)
            for (int h = 0; h < t.heads; ++h) {
                const AttentionMapPtr m = source.map(Quantity::AttentionProbs, l, h);
                const double v = m ? attentionReceived(*m, key) : std::numeric_limits<double>::quiet_NaN();
                t.values.push_back(v);
                if (!std::isnan(v))
                    hi = std::max(hi, v);
            }
        t.scale.key = QStringLiteral("received");
        t.scale.colormap = style.settings.colormap;
        t.scale.low = 0;
        t.scale.high = hi > 0 ? hi : 1.0;
        t.scale.label = QStringLiteral("mean attention to #%1 from later queries").arg(key);
        t.title = QStringLiteral("Who attends to #%1 “%2”").arg(key).arg(tokenTickLabel(source.tokens, key, 16));
        return makeLayerHeadTablePanel(std::move(t));
    }
};

} // namespace

std::shared_ptr<const PanelKind> makeKeyReceivedPanelKind()
{
    return std::make_shared<KeyReceivedKind>();
}

} // namespace attnscope
