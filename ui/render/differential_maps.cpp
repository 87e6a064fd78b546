// λ·A2 and λ's summary for the differential view and its figures.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/render/differential_maps.h"

#include <cmath>
#include <limits>

namespace attnscope {

AttentionMapPtr lambdaScaledMap(const AttentionMapPtr& a2, const CapturedSeriesPtr& lambda)
{
    if (!a2 || !lambda || lambda->values.empty())
        return nullptr;
    const int64_t T = a2->tokens;
    const bool perToken = lambda->values.size() > 1;
    if (perToken && static_cast<int64_t>(lambda->values.size()) < T)
        return nullptr;
    auto m = std::make_shared<AttentionMap>();
    m->quantity = Quantity::AttentionProbs2;
    m->layer = a2->layer;
    m->head = a2->head;
    m->kvHead = a2->kvHead;
    m->tokens = T;
    m->mask = a2->mask;
    m->maskedRows = a2->maskedRows;
    m->probs.resize(static_cast<size_t>(T * T));
    for (int64_t i = 0; i < T; ++i) {
        const float l = perToken ? lambda->values[static_cast<size_t>(i)] : lambda->values[0];
        const float* src = a2->row(i);
        float* dst = m->probs.data() + i * T;
        for (int64_t j = 0; j < T; ++j)
            dst[j] = l * src[j];
    }
    return m;
}

double lambdaMean(const CapturedSeries& lambda)
{
    if (lambda.values.empty())
        return std::numeric_limits<double>::quiet_NaN();
    double sum = 0;
    for (float v : lambda.values)
        sum += v;
    return sum / static_cast<double>(lambda.values.size());
}

QString lambdaText(const CapturedSeries& lambda)
{
    const double m = lambdaMean(lambda);
    return lambda.values.size() > 1 ? QStringLiteral("mean λ = %1").arg(m, 0, 'g', 3) : QStringLiteral("λ = %1").arg(m, 0, 'g', 3);
}

} // namespace attnscope
