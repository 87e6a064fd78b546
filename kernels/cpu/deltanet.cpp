// The two ops of a Gated DeltaNet layer (Qwen3-Next's linear-attention layers): the depthwise causal short
// convolution and the gated delta rule, in fp32 as transformers' torch reference computes them
// (models/qwen3_next/modeling_qwen3_next.py: causal_conv1d_fn, torch_recurrent_gated_delta_rule; the chunked
// form it uses for prompts is the same recurrence reorganised into blocks).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/thread_pool.h"

#include <atomic>
#include <cmath>
#include <vector>

namespace attnscope::cpu {

OpStatus causalConv1dCpu(const CausalConv1dArgs& a)
{
    if (a.tokens < 0 || a.channels <= 0 || a.kernel <= 0 || a.ldx < a.channels || a.ldy < a.channels ||
        a.act == Activation::Softcap)
        return OpStatus::failure("causal_conv1d: inconsistent sizes or activation");
    if (a.x == a.y)
        return OpStatus::failure("causal_conv1d: output must not alias the input");
    const int64_t K = a.kernel;
    for (int64_t t = 0; t < a.tokens; ++t) {
        float* y = a.y + t * a.ldy;
        for (int64_t c = 0; c < a.channels; ++c) {
            const float* w = a.weight + c * K;
            float s = 0.f;
            for (int64_t k = 0; k < K; ++k) {
                const int64_t src = t - (K - 1) + k;
                if (src >= 0)
                    s += w[k] * a.x[src * a.ldx + c];
            }
            y[c] = activate(a.act, s, 0.f);
        }
    }
    return OpStatus::success();
}

namespace {

/// torch.nn.functional.softplus with beta 1 and threshold 20.
float softplus(float x)
{
    return x > 20.f ? x : std::log1p(std::exp(x));
}

/// x / sqrt(Σx² + eps) (transformers qwen3_next l2norm, which follows the FLA library), then · s.
void l2Normalise(const float* x, int64_t n, float eps, float s, float* y)
{
    float ss = 0.f;
    for (int64_t i = 0; i < n; ++i)
        ss += x[i] * x[i];
    const float inv = 1.0f / std::sqrt(ss + eps);
    for (int64_t i = 0; i < n; ++i)
        y[i] = x[i] * inv * s;
}

} // namespace

OpStatus gatedDeltaRuleCpu(const GatedDeltaRuleArgs& a, int threads)
{
    const int64_t T = a.tokens, Hk = a.keyHeads, Hv = a.valueHeads, dk = a.keyDim, dv = a.valueDim;
    if (T < 0 || Hk <= 0 || Hv <= 0 || Hv % Hk || dk <= 0 || dv <= 0 || a.ldqk < Hk * dk || a.ldv < Hv * dv ||
        a.ldab < Hv || a.ldo < Hv * dv)
        return OpStatus::failure("gated_delta_rule: inconsistent sizes (value heads must be a multiple of key heads)");
    if ((a.aLog == nullptr) == (a.negA == nullptr))
        return OpStatus::failure("gated_delta_rule: exactly one of A_log and A must be given");
    const int64_t rep = Hv / Hk;
    const float qScale = 1.0f / std::sqrt(static_cast<float>(dk));
    std::atomic<bool> stopped{false};
    parallelFor(threads, Hv, [&](int64_t h, int) {
        if (stopped.load(std::memory_order_relaxed))
            return;
        if (a.stop.stop_requested()) {
            stopped = true;
            return;
        }
        const int64_t kh = h / rep;
        const float rate = a.aLog ? std::exp(a.aLog[h]) : -a.negA[h];   // exp(A_log) = −A
        std::vector<float> S(static_cast<size_t>(dk * dv), 0.f), q(static_cast<size_t>(dk)), k(static_cast<size_t>(dk)),
            delta(static_cast<size_t>(dv));
        for (int64_t t = 0; t < T; ++t) {
            const float beta = 1.0f / (1.0f + std::exp(-a.b[t * a.ldab + h]));
            const float g = -rate * softplus(a.a[t * a.ldab + h] + a.dtBias[h]);
            const float decay = std::exp(g);
            if (a.beta)
                a.beta[t * Hv + h] = beta;
            if (a.decay)
                a.decay[t * Hv + h] = decay;
            const float* qt = a.q + t * a.ldqk + kh * dk;
            const float* kt = a.k + t * a.ldqk + kh * dk;
            if (a.l2NormQk) {
                l2Normalise(qt, dk, a.l2Eps, qScale, q.data());
                l2Normalise(kt, dk, a.l2Eps, 1.f, k.data());
            } else {
                for (int64_t i = 0; i < dk; ++i) {
                    q[i] = qt[i] * qScale;
                    k[i] = kt[i];
                }
            }
            const float* vt = a.v + t * a.ldv + h * dv;
            // S ← exp(g)·S, then kv = Sᵀk (row i of S belongs to key dim i).
            for (int64_t j = 0; j < dv; ++j)
                delta[j] = 0.f;
            for (int64_t i = 0; i < dk; ++i) {
                float* Si = S.data() + i * dv;
                const float ki = k[i];
                for (int64_t j = 0; j < dv; ++j) {
                    Si[j] *= decay;
                    delta[j] += Si[j] * ki;
                }
            }
            for (int64_t j = 0; j < dv; ++j)
                delta[j] = (vt[j] - delta[j]) * beta;
            float* ot = a.out + t * a.ldo + h * dv;
            for (int64_t j = 0; j < dv; ++j)
                ot[j] = 0.f;
            for (int64_t i = 0; i < dk; ++i) {
                float* Si = S.data() + i * dv;
                const float ki = k[i], qi = q[i];
                for (int64_t j = 0; j < dv; ++j) {
                    Si[j] += ki * delta[j];
                    ot[j] += Si[j] * qi;
                }
            }
        }
    });
    if (stopped)
        return OpStatus::cancel();
    return OpStatus::success();
}

} // namespace attnscope::cpu
