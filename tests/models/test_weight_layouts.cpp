// Weights rearranged once in the weight store (core/model/weight_store.h, RowLayout), checked element by element
// against the tensor as stored: a differential q projection's paired heads split into halves, gpt-oss's stacked
// [experts, in, out] gate|up tensor transposed per expert and de-interleaved, a bias vector regrouped, and
// layouts that do not fit the tensor refused.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/loaded_model.h"
#include "core/model/weight_store.h"
#include "core/tensor/dequant.h"
#include "core/util/error.h"
#include "kernels/cpu/cpu_backend.h"

#include <gtest/gtest.h>

using namespace attnscope;

namespace {

std::vector<float> stored(const LoadedModel& m, const BoundTensor& b)
{
    std::vector<float> v(b.info->elementCount());
    dequantizeRows(m.checkpoint(), *b.info, 0, b.info->rows(), v.data());
    return v;
}

} // namespace

TEST(WeightLayouts, PairedHeadsSplitIntoHalves)
{
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-diff-v1");
    const ModelConfig& cfg = model->config();
    cpu::CpuBackend backend(1);
    WeightStore store(*model, backend);
    const BoundTensor& q = model->plan().get(TensorRole::Q, 1);
    const int64_t H = cfg.nHeads, d = cfg.headDim, D = cfg.dModel;
    RowLayout l{"test.q", 1, false, d, {}};
    for (int s = 0; s < 2; ++s)
        for (int64_t h = 0; h < H; ++h)
            l.order.push_back(static_cast<int32_t>(2 * h + s));
    const float* got = store.getRearranged(q, l);
    const std::vector<float> ref = stored(*model, q);
    for (int s = 0; s < 2; ++s)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t r = 0; r < d; ++r)
                for (int64_t c = 0; c < D; ++c)
                    ASSERT_EQ(got[((s * H + h) * d + r) * D + c], ref[size_t(((2 * h + s) * d + r) * D + c)]);
    EXPECT_EQ(store.getRearranged(q, l), got) << "cached by (tensor, layout key)";
    EXPECT_NE(store.get(q), got) << "the stored layout is a different entry";
    l.order.pop_back();
    l.key = "test.q-short";
    EXPECT_THROW(store.getRearranged(q, l), Error);
    l.order.push_back(static_cast<int32_t>(2 * H));
    EXPECT_THROW(store.getRearranged(q, l), Error) << "a block outside the matrix";
}

TEST(WeightLayouts, StackedExpertsTransposedAndDeinterleaved)
{
    auto model = LoadedModel::open(std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/tiny-gpt-oss");
    const ModelConfig& cfg = model->config();
    cpu::CpuBackend backend(1);
    WeightStore store(*model, backend);
    const int64_t E = cfg.gptOssExperts, F = cfg.ffnDim, D = cfg.dModel;
    const BoundTensor& gu = model->plan().get(TensorRole::MoeGateUp, 0);
    ASSERT_TRUE(gu.transposed);
    ASSERT_EQ(gu.info->shape, (std::vector<int64_t>{E, D, 2 * F}));
    EXPECT_THROW(store.get(gu), Error) << "a stacked [in, out] tensor needs the per-matrix transposition";
    RowLayout l{"test.gate|up", E, true, 1, {}};
    for (int s = 0; s < 2; ++s)
        for (int64_t f = 0; f < F; ++f)
            l.order.push_back(static_cast<int32_t>(2 * f + s));
    const float* got = store.getRearranged(gu, l);
    const std::vector<float> ref = stored(*model, gu);   // [E, D, 2F]: column 2f is gate f, 2f + 1 is up f
    for (int64_t e = 0; e < E; ++e)
        for (int s = 0; s < 2; ++s)
            for (int64_t f = 0; f < F; ++f)
                for (int64_t k = 0; k < D; ++k)
                    ASSERT_EQ(got[((e * 2 + s) * F + f) * D + k], ref[size_t((e * D + k) * 2 * F + 2 * f + s)]);
    const BoundTensor& bias = model->plan().get(TensorRole::MoeGateUpBias, 0);
    RowLayout lb = l;
    lb.key = "test.gate|up.bias";
    lb.transposeEach = false;
    const float* gb = store.getRearranged(bias, lb);
    const std::vector<float> rb = stored(*model, bias);
    for (int64_t e = 0; e < E; ++e)
        for (int s = 0; s < 2; ++s)
            for (int64_t f = 0; f < F; ++f)
                ASSERT_EQ(gb[(e * 2 + s) * F + f], rb[size_t(e * 2 * F + 2 * f + s)]);
}
