// Synthetic runs for the figure tests: seeded, causal maps with a first-token sink and (odd heads) a
// previous-token diagonal, tokens "<s>", "tok1", …, so figures have structure to look at and known values.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/figure_source.h"

#include <QString>

#include <memory>
#include <random>

namespace attnscope::test {

inline AttentionMapPtr syntheticMap(int layer, int head, int tokens, unsigned seed)
{
    auto m = std::make_shared<AttentionMap>();
    m->layer = layer;
    m->head = head;
    m->tokens = tokens;
    m->probs.assign(static_cast<size_t>(tokens) * static_cast<size_t>(tokens), 0.f);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0, 1);
    std::vector<float> row;
    for (int i = 0; i < tokens; ++i) {
        row.assign(static_cast<size_t>(i) + 1, 0.f);
        double sum = 0;
        for (int j = 0; j <= i; ++j) {
            float v = u(rng) * 0.2f + (j == 0 ? 3.f : 0.f) + (j == i - 1 && head % 2 ? 2.f : 0.f);
            row[static_cast<size_t>(j)] = v;
            sum += v;
        }
        for (int j = 0; j <= i; ++j)
            m->probs[static_cast<size_t>(i) * static_cast<size_t>(tokens) + static_cast<size_t>(j)] =
                static_cast<float>(row[static_cast<size_t>(j)] / sum);
    }
    return m;
}

inline std::shared_ptr<FigureSource> syntheticSource(int layers, int heads, int kvHeads, int tokens)
{
    auto src = std::make_shared<FigureSource>();
    src->modelName = QStringLiteral("synthetic");
    src->layers = layers;
    src->heads = heads;
    src->kvHeads = kvHeads;
    for (int i = 0; i < tokens; ++i) {
        src->tokens << (i == 0 ? QStringLiteral("<s>") : QStringLiteral("tok%1").arg(i));
        src->tokenIds.push_back(i % 7);
    }
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h)
            src->captures.add(syntheticMap(l, h, tokens, static_cast<unsigned>(l * 100 + h)));
    return src;
}

} // namespace attnscope::test
