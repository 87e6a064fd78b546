// The small per-element ops of every block kind: activations (SiLU, GELU erf/tanh, soft-capping), gated
// activations (SwiGLU, GeGLU, gpt-oss's clamped SwiGLU), bias and residual adds, scaling, the embedding gather and
// the weighted row scatter-add of mixture-of-experts outputs — in fp32 as torch computes them.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"

#include "core/util/fast_math.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace attnscope::cpu {

// SiLU, sigmoid and GELU-tanh use the vectorisable exp of core/util/fast_math.h (within 2 ulp of std::exp; the
// activations agree with torch's to a few 1e-7): glibc's expf/tanhf are scalar calls and took 10 % of a Gemma 3
// forward. The loops below switch once per call so that each activation's loop vectorises.
float activate(Activation act, float x, float param)
{
    switch (act) {
    case Activation::Silu: return fastSilu(x);
    case Activation::GeluErf: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752440f));
    case Activation::GeluTanh: return fastGeluTanh(x);
    case Activation::Softcap: return param * std::tanh(x / param);
    case Activation::Sigmoid: return fastSigmoid(x);
    case Activation::Identity: return x;
    case Activation::ClampedSwiglu: break;   // gated only (needs the up value): see gatedActivationCpu
    }
    return x;
}

namespace {

/// out[i] = f(x[i]) · (up ? up[i] : 1), with f known at compile time.
template <typename F>
void applyEach(const float* x, const float* up, float* out, int64_t n, F f)
{
    if (up)
        for (int64_t i = 0; i < n; ++i)
            out[i] = f(x[i]) * up[i];
    else
        for (int64_t i = 0; i < n; ++i)
            out[i] = f(x[i]);
}

void activateRange(Activation act, float param, const float* x, const float* up, float* out, int64_t n)
{
    switch (act) {
    case Activation::Silu: applyEach(x, up, out, n, [](float v) { return fastSilu(v); }); return;
    case Activation::GeluTanh: applyEach(x, up, out, n, [](float v) { return fastGeluTanh(v); }); return;
    case Activation::Sigmoid: applyEach(x, up, out, n, [](float v) { return fastSigmoid(v); }); return;
    default: applyEach(x, up, out, n, [act, param](float v) { return activate(act, v, param); }); return;
    }
}

} // namespace

OpStatus activationCpu(const ActivationArgs& a)
{
    if (a.n < 0 || (a.act == Activation::Softcap && !(a.param > 0.f)) || a.act == Activation::ClampedSwiglu)
        return OpStatus::failure("activation: bad size, soft-cap or a gated-only activation");
    activateRange(a.act, a.param, a.x, nullptr, a.y, a.n);
    return OpStatus::success();
}

OpStatus gatedActivationCpu(const GatedActivationArgs& a)
{
    if (a.n < 0 || a.repeat < 1 || a.n % a.repeat || a.act == Activation::Softcap)
        return OpStatus::failure("gated_activation: bad size, repeat or activation");
    if (a.act == Activation::ClampedSwiglu) {
        // transformers GptOssExperts._apply_gate, in fp32.
        if (a.repeat != 1 || !(a.limit > 0.f))
            return OpStatus::failure("gated_activation: the clamped SwiGLU needs repeat 1 and a positive limit");
        for (int64_t i = 0; i < a.n; ++i) {
            const float g = std::min(a.gate[i], a.limit);
            const float u = std::clamp(a.up[i], -a.limit, a.limit);
            const float glu = g * (1.0f / (1.0f + std::exp(-(g * a.alpha))));
            a.out[i] = (u + 1.0f) * glu;
        }
        return OpStatus::success();
    }
    if (a.repeat == 1) {
        activateRange(a.act, 0.f, a.gate, a.up, a.out, a.n);
        return OpStatus::success();
    }
    for (int64_t g = 0; g < a.n / a.repeat; ++g) {
        const float s = activate(a.act, a.gate[g], 0.f);
        for (int64_t r = 0; r < a.repeat; ++r)
            a.out[g * a.repeat + r] = s * a.up[g * a.repeat + r];
    }
    return OpStatus::success();
}

OpStatus addBiasCpu(const AddBiasArgs& a)
{
    if (a.rows < 0 || a.cols < 0 || a.ldy < a.cols)
        return OpStatus::failure("add_bias: inconsistent sizes");
    for (int64_t r = 0; r < a.rows; ++r) {
        float* y = a.y + r * a.ldy;
        for (int64_t c = 0; c < a.cols; ++c)
            y[c] += a.bias[c];
    }
    return OpStatus::success();
}

OpStatus addCpu(const AddArgs& a)
{
    for (int64_t i = 0; i < a.n; ++i)
        a.y[i] += a.x[i];
    return OpStatus::success();
}

OpStatus scaleCpu(const ScaleArgs& a)
{
    for (int64_t i = 0; i < a.n; ++i)
        a.x[i] *= a.s;
    return OpStatus::success();
}

OpStatus indexAddCpu(const IndexAddArgs& a)
{
    if (a.rows < 0 || a.cols <= 0 || a.ldx < a.cols || a.ldy < a.cols)
        return OpStatus::failure("index_add: inconsistent sizes");
    for (int64_t r = 0; r < a.rows; ++r) {
        const int32_t id = a.ids[r];
        if (id < 0 || id >= a.yRows)
            return OpStatus::failure("index_add: row " + std::to_string(id) + " outside the output");
        const float w = a.w ? a.w[r] : 1.f;
        const float* x = a.x + r * a.ldx;
        float* y = a.y + int64_t(id) * a.ldy;
        for (int64_t c = 0; c < a.cols; ++c)
            y[c] += w * x[c];
    }
    return OpStatus::success();
}

OpStatus gatherCpu(const GatherArgs& a)
{
    if (a.count < 0 || a.cols <= 0 || a.ldTable < a.cols || a.ldOut < a.cols)
        return OpStatus::failure("gather: inconsistent sizes");
    for (int64_t t = 0; t < a.count; ++t) {
        const int32_t id = a.ids[t];
        if (id < 0 || id >= a.tableRows)
            return OpStatus::failure("gather: id " + std::to_string(id) + " outside the table");
        const float* src = a.table + int64_t(id) * a.ldTable;
        float* dst = a.out + t * a.ldOut;
        if (a.scale == 1.f)
            std::memcpy(dst, src, static_cast<size_t>(a.cols) * sizeof(float));
        else
            for (int64_t c = 0; c < a.cols; ++c)
                dst[c] = src[c] * a.scale;
    }
    return OpStatus::success();
}

} // namespace attnscope::cpu

namespace attnscope::cpu {

OpStatus headGroupMeanCpu(const HeadGroupMeanArgs& a)
{
    if (a.rows < 0 || a.heads <= 0 || a.groups <= 0 || a.heads % a.groups || a.headDim <= 0 || a.ld < a.heads * a.headDim)
        return OpStatus::failure("head_group_mean: the groups must divide the heads");
    const int64_t per = a.heads / a.groups, d = a.headDim;
    for (int64_t r = 0; r < a.rows; ++r) {
        float* x = a.x + r * a.ld;
        // Group g reads heads ≥ g·per ≥ g, so writing slot g in increasing order never clobbers a later source.
        for (int64_t g = 0; g < a.groups; ++g)
            for (int64_t c = 0; c < d; ++c) {
                float s = 0.f;
                for (int64_t h = g * per; h < (g + 1) * per; ++h)
                    s += x[h * d + c];
                x[g * d + c] = s / static_cast<float>(per);
            }
    }
    return OpStatus::success();
}

} // namespace attnscope::cpu
