// The CUDA backend object and the op dispatch: core's op arguments become kernel parameters (cuda_params.h), each
// op runs canImplement → workspace → run on the backend's stream, and kernel Results become OpStatus values.
// Sticky errors mark the backend unhealthy (core then runs later work on the CPU); out-of-memory stays
// recoverable (a retried run calls reduceTiles()).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels/cuda/cuda_backend.h"

#include "kernels/cuda/activation.cuh"
#include "kernels/cuda/add.cuh"
#include "kernels/cuda/add_bias.cuh"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_heuristics.h"
#include "kernels/cuda/cuda_probe.cuh"
#include "kernels/cuda/gated_activation.cuh"
#include "kernels/cuda/gather.cuh"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/head_group_mean.cuh"
#include "kernels/cuda/mask_tables.h"
#include "kernels/cuda/norm.cuh"
#include "kernels/cuda/rope.cuh"
#include "kernels/cuda/scale.cuh"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <vector>

namespace attnscope::cuda {

FaultPlan parseFaultPlan(const std::string& value, std::string* problem)
{
    FaultPlan f;
    if (value.empty())
        return f;
    auto bad = [&](const std::string& why) {
        if (problem)
            *problem = "ATTNSCOPE_CUDA_FAULT='" + value + "': " + why;
        return FaultPlan{};
    };
    const size_t at = value.find('@');
    if (at == std::string::npos)
        return bad("expected KIND@OP[#N]");
    const std::string kind = value.substr(0, at);
    std::string op = value.substr(at + 1);
    int64_t call = 1;
    if (const size_t hash = op.find('#'); hash != std::string::npos) {
        const std::string n = op.substr(hash + 1);
        op = op.substr(0, hash);
        if (n.empty() || n.size() > 9 || n.find_first_not_of("0123456789") != std::string::npos)
            return bad("N must be a positive integer");
        call = std::stoll(n);
        if (call < 1)
            return bad("N must be a positive integer");
    }
    if (kind == "oom") f.kind = FaultPlan::Kind::Oom;
    else if (kind == "oom-always") f.kind = FaultPlan::Kind::OomAlways;
    else if (kind == "error") f.kind = FaultPlan::Kind::Error;
    else if (kind == "sticky") f.kind = FaultPlan::Kind::Sticky;
    else return bad("KIND must be oom, oom-always, error or sticky");
    for (int k = 0; k < static_cast<int>(OpKind::Count); ++k)
        if (op == opKindName(static_cast<OpKind>(k)))
            f.op = static_cast<OpKind>(k);
    if (f.op == OpKind::Count)
        return bad("unknown op '" + op + "'");
    f.call = call;
    return f;
}

namespace {

/// A device allocation. Freed only after the backend's stream has drained: ops queued before the owner let go of
/// the buffer (a scratch table, a captured map) may still be reading it. Errors are ignored: a dead context frees
/// nothing anyway.
class CudaBuffer final : public DeviceBuffer {
public:
    CudaBuffer(void* p, uint64_t bytes, cudaStream_t stream) : m_p(p), m_bytes(bytes), m_stream(stream) {}
    ~CudaBuffer() override
    {
        cudaStreamSynchronize(m_stream);
        cudaFree(m_p);
    }
    void* data() override { return m_p; }
    uint64_t bytes() const override { return m_bytes; }

private:
    void* m_p;
    uint64_t m_bytes;
    cudaStream_t m_stream;
};

/// A device buffer that grows on demand and is kept between ops (attention statistics, gather flag, cuBLASLt).
/// The owner drains the stream before release(); get() does when it has to grow.
class Workspace {
public:
    ~Workspace() { release(); }
    /// Null with `result` set when the device is out of memory.
    void* get(size_t bytes, cudaStream_t stream, Result& result)
    {
        if (bytes == 0)
            return nullptr;
        if (bytes > m_bytes) {
            if (m_p)
                cudaStreamSynchronize(stream);   // earlier ops may still use the smaller buffer
            release();
            if (cudaError_t e = cudaMalloc(&m_p, bytes); e != cudaSuccess) {
                m_p = nullptr;
                cudaGetLastError();
                result = resultFromCuda(e, "workspace of " + std::to_string(bytes) + " bytes");
                return nullptr;
            }
            m_bytes = bytes;
        }
        return m_p;
    }
    void release()
    {
        if (m_p)
            cudaFree(m_p);
        m_p = nullptr;
        m_bytes = 0;
    }

private:
    void* m_p = nullptr;
    size_t m_bytes = 0;
};

size_t roundUp256(size_t n)
{
    return (n + 255) / 256 * 256;
}

ActKind actKind(Activation a)
{
    switch (a) {
    case Activation::Silu: return ActKind::Silu;
    case Activation::GeluErf: return ActKind::GeluErf;
    case Activation::GeluTanh: return ActKind::GeluTanh;
    case Activation::Softcap: return ActKind::Softcap;
    case Activation::Sigmoid: return ActKind::Sigmoid;
    case Activation::Identity: return ActKind::Identity;
    case Activation::ClampedSwiglu: break;   // gpt-oss experts: no device kernel yet (the run falls back to the CPU)
    }
    return static_cast<ActKind>(-1);   // rejected by canImplement
}

class CudaBackend final : public Backend {
public:
    explicit CudaBackend(ProbeResult p) : m_probe(std::move(p))
    {
        const char* fault = std::getenv("ATTNSCOPE_CUDA_FAULT");
        m_fault = parseFaultPlan(fault ? fault : "", &m_faultProblem);
        if (!m_probe.ok) {
            kill("the device probe failed: " + m_probe.reason);
            return;
        }
        if (cudaError_t e = cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking); e != cudaSuccess) {
            kill(resultFromCuda(e, "cudaStreamCreate").message);
            return;
        }
        if (cublasStatus_t s = cublasLtCreate(&m_lt); s != CUBLAS_STATUS_SUCCESS) {
            kill(resultFromCublas(s, "cublasLtCreate").message);
            return;
        }
        if (cublasStatus_t s = cublasCreate(&m_blas); s != CUBLAS_STATUS_SUCCESS) {
            kill(resultFromCublas(s, "cublasCreate").message);
            return;
        }
    }
    ~CudaBackend() override
    {
        if (m_stream)
            cudaStreamSynchronize(m_stream);
        m_attnWs.release();
        m_gatherWs.release();
        m_gemmWs.release();
        m_sinkWs.release();
        m_maskWs.release();
        m_observerWs.release();
        if (m_pinned)
            cudaFreeHost(m_pinned);
        if (m_blas)
            cublasDestroy(m_blas);
        if (m_lt)
            cublasLtDestroy(m_lt);
        if (m_stream)
            cudaStreamDestroy(m_stream);
    }

    std::string name() const override { return "cuda"; }
    std::string description() const override
    {
        std::string s = m_probe.deviceName + " (sm_" + std::to_string(m_probe.computeMajor) +
                        std::to_string(m_probe.computeMinor) + ", " + std::to_string(m_probe.totalBytes >> 20) +
                        " MiB), CUDA kernels, cuBLASLt fp32";
        if (m_level > 0)
            s += ", smaller tiles (level " + std::to_string(m_level) + ")";
        if (m_fault.kind != FaultPlan::Kind::None)
            s += ", fault injection on " + std::string(opKindName(m_fault.op));
        if (!m_faultProblem.empty())
            s += ", ignored " + m_faultProblem;
        if (m_dead)
            s += "; unusable after an error: " + m_deadReason;
        return s;
    }
    bool supports(OpKind k) const override
    {
        switch (k) {
        case OpKind::Gemm:
        case OpKind::Norm:
        case OpKind::Rope:
        case OpKind::Activation:
        case OpKind::GatedActivation:
        case OpKind::AddBias:
        case OpKind::Add:
        case OpKind::Scale:
        case OpKind::Gather:
        case OpKind::Attention:
        case OpKind::HeadGroupMean:
            return true;
        default:
            return false;   // ops added to the interface later run on the CPU until implemented here
        }
    }
    bool healthy() const override { return !m_dead; }
    bool reduceTiles() override
    {
        if (m_level >= kMaxTileLevel)
            return false;
        ++m_level;
        if (m_stream)
            cudaStreamSynchronize(m_stream);
        m_attnWs.release();
        m_gemmWs.release();
        m_maskWs.release();
        m_observerWs.release();
        m_maskCachePtr = nullptr;
        m_gemmCache.clear();
        return true;
    }
    uint64_t freeMemoryBytes() const override
    {
        size_t freeB = 0, total = 0;
        if (m_dead || cudaMemGetInfo(&freeB, &total) != cudaSuccess)
            return 0;
        return freeB;
    }

    bool hostMemory() const override { return false; }
    std::unique_ptr<DeviceBuffer> allocate(uint64_t bytes) override
    {
        if (m_dead)
            return nullptr;
        void* p = nullptr;
        const uint64_t n = bytes < 256 ? 256 : bytes;
        if (cudaMalloc(&p, n) != cudaSuccess) {
            cudaGetLastError();   // out of memory is not sticky: clear it
            return nullptr;
        }
        return std::make_unique<CudaBuffer>(p, bytes, m_stream);
    }
    OpStatus upload(void* dst, const void* src, uint64_t bytes) override
    {
        if (m_dead)
            return deadStatus();
        if (bytes == 0)
            return OpStatus::success();
        // Pageable source: the call returns once the source was staged, so the caller may free it.
        return status(resultFromCuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, m_stream), "upload"));
    }
    OpStatus download(void* dst, const void* src, uint64_t bytes) override
    {
        if (m_dead)
            return deadStatus();
        if (bytes == 0)
            return OpStatus::success();
        cudaError_t e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, m_stream);
        if (e == cudaSuccess)
            e = cudaStreamSynchronize(m_stream);
        return status(resultFromCuda(e, "download"));
    }
    OpStatus synchronize() override
    {
        if (m_dead)
            return deadStatus();
        return status(resultFromCuda(cudaStreamSynchronize(m_stream), "synchronize"));
    }

    OpStatus gemm(const GemmArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::Gemm, f))
            return f;
        GemmParams p;
        p.m = a.m; p.n = a.n; p.k = a.k;
        p.dtype = DType::F32;
        p.a = a.a; p.lda = a.lda;
        p.b = a.b; p.ldb = a.ldb;
        p.c = a.c; p.ldc = a.ldc;
        p.alpha = 1.f; p.beta = a.beta;
        if (Result r = GemmOp::canImplement(p); !r.ok())
            return status(r);
        Result wsResult;
        size_t wsBytes = GemmOp::workspaceSize(p, m_level);
        void* ws = m_gemmWs.get(wsBytes, m_stream, wsResult);
        if (!ws)
            wsBytes = 0;   // no workspace: cuBLASLt picks among the algorithms that need none
        GemmContext ctx{m_lt, m_blas, ws, wsBytes, &m_gemmCache};
        return status(GemmOp::run(p, ctx, m_stream));
    }
    OpStatus norm(const NormArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::Norm, f))
            return f;
        NormParams p;
        p.kind = a.kind == attnscope::NormKind::Rms ? NormKind::Rms : NormKind::Layer;
        p.rows = a.rows; p.cols = a.cols;
        p.x = a.x; p.ldx = a.ldx;
        p.weight = a.weight; p.bias = a.bias;
        p.weightOffset = a.weightOffset; p.eps = a.eps;
        p.y = a.y; p.ldy = a.ldy;
        return simple<NormOp>(p);
    }
    OpStatus rope(const RopeArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::Rope, f))
            return f;
        RopeParams p;
        p.tokens = a.tokens; p.heads = a.heads; p.headDim = a.headDim; p.ropeDims = a.ropeDims;
        p.x = a.x; p.ldx = a.ldx; p.headStride = a.headDim;
        p.cos = a.cos; p.sin = a.sin; p.ldTable = a.ropeDims / 2;
        p.pairing = a.pairing;
        return simple<RopeOp>(p);
    }
    OpStatus activation(const ActivationArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::Activation, f))
            return f;
        ActivationParams p;
        p.n = a.n; p.act = actKind(a.act); p.param = a.param; p.x = a.x; p.y = a.y;
        return simple<ActivationOp>(p);
    }
    OpStatus gatedActivation(const GatedActivationArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::GatedActivation, f))
            return f;
        GatedActivationParams p;
        p.n = a.n; p.repeat = a.repeat; p.act = actKind(a.act); p.gate = a.gate; p.up = a.up; p.out = a.out;
        return simple<GatedActivationOp>(p);
    }
    OpStatus addBias(const AddBiasArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::AddBias, f))
            return f;
        AddBiasParams p;
        p.rows = a.rows; p.cols = a.cols; p.y = a.y; p.ldy = a.ldy; p.bias = a.bias;
        return simple<AddBiasOp>(p);
    }
    OpStatus add(const AddArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::Add, f))
            return f;
        AddParams p;
        p.n = a.n; p.x = a.x; p.y = a.y;
        return simple<AddOp>(p);
    }
    OpStatus scale(const ScaleArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::Scale, f))
            return f;
        ScaleParams p;
        p.n = a.n; p.x = a.x; p.s = a.s;
        return simple<ScaleOp>(p);
    }
    OpStatus gather(const GatherArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::Gather, f))
            return f;
        GatherParams p;
        p.count = a.count; p.cols = a.cols; p.ids = a.ids;
        p.table = a.table; p.ldTable = a.ldTable; p.tableRows = a.tableRows;
        p.out = a.out; p.ldOut = a.ldOut; p.scale = a.scale;
        if (Result r = GatherOp::canImplement(p); !r.ok())
            return status(r);
        Result wsResult;
        void* ws = m_gatherWs.get(GatherOp::workspaceSize(p), m_stream, wsResult);
        if (!ws)
            return status(wsResult);
        if (Result r = GatherOp::run(p, ws, m_stream); !r.ok())
            return status(r);
        return status(GatherOp::finish(p, ws, m_stream));
    }
    OpStatus attention(const AttentionArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::Attention, f))
            return f;
        if (a.stop.stop_requested())
            return OpStatus::cancel();
        if (a.tokens <= 0 || a.heads <= 0 || a.tokens > (int64_t(1) << 24) || a.heads > 65535)
            return OpStatus::failure("attention: inconsistent sizes");
        if ((a.valueDim > 0 && a.valueDim != a.headDim) || (a.valueHeads > 0 && a.valueHeads != a.kvHeads))
            return OpStatus::failure("attention: values wider than keys (differential V1 heads) have no device kernel yet");
        AttentionParams p;
        p.tokens = a.tokens; p.heads = a.heads; p.kvHeads = a.kvHeads; p.headDim = a.headDim;
        p.scale = a.scale;
        p.mask = maskParams(a.mask);
        p.dtype = DType::F32;
        p.q = a.q; p.ldq = a.ldq; p.headStrideQ = a.headDim;
        p.k = a.k; p.ldk = a.ldk; p.headStrideK = a.headDim;
        p.v = a.v; p.ldv = a.ldv; p.headStrideV = a.headDim;
        p.out = a.out; p.ldo = a.ldo; p.headStrideO = a.headDim;
        if (Result r = maskTables(a.mask, a.tokens, p.mask); !r.ok())
            return status(r);
        if (a.sinkLogits) {   // host values (a few per head): copied next to the kernels
            Result wsResult;
            float* d = static_cast<float*>(m_sinkWs.get(size_t(a.heads) * sizeof(float), m_stream, wsResult));
            if (!d)
                return status(wsResult);
            if (cudaError_t e = cudaMemcpyAsync(d, a.sinkLogits, size_t(a.heads) * sizeof(float), cudaMemcpyHostToDevice, m_stream);
                e != cudaSuccess)
                return status(resultFromCuda(e, "attention: sink logits"));
            p.sinkLogits = d;
        }
        const AttentionTiles tiles = chooseAttentionTiles(a.tokens, a.headDim, a.heads, m_level);
        if (Result r = AttentionOp::canImplement(p, tiles); !r.ok())
            return status(r);
        Result wsResult;
        p.rowNorm = static_cast<float*>(m_attnWs.get(AttentionOp::workspaceSize(p), m_stream, wsResult));
        if (!p.rowNorm)
            return status(wsResult);
        AttentionCapture capture;
        const size_t H = static_cast<size_t>(a.heads);
        auto take = [H](float* const* arr, std::vector<float*>& into) {
            if (arr)
                into.assign(arr, arr + H);
        };
        take(a.probs, capture.probs);
        take(a.lse, capture.lse);
        take(a.rowMax, capture.rowMax);
        take(a.rowLogSum, capture.rowLogSum);
        take(a.sinkProbs, capture.sinkProbs);
        const std::stop_token stop = a.stop;
        const std::function<bool()> stopped = [stop] { return stop.stop_requested(); };
        if (!a.rowObserver)
            return status(AttentionOp::run(p, tiles, capture, stopped, m_stream));
        return attentionWithRowObserver(a, p, tiles, capture, stopped);
    }
    OpStatus headGroupMean(const HeadGroupMeanArgs& a) override
    {
        if (OpStatus f; injectFault(OpKind::HeadGroupMean, f))
            return f;
        HeadGroupMeanParams p;
        p.rows = a.rows; p.heads = a.heads; p.groups = a.groups; p.headDim = a.headDim; p.x = a.x; p.ld = a.ld;
        return simple<HeadGroupMeanOp>(p);
    }

private:
    /// Attention whose rows go to a host callback as they are computed (streamed statistics of long prompts,
    /// docs/LONG-CONTEXT.md): the statistics pass as usual, then the output pass head by head and a range of rows at
    /// a time into a device buffer of those rows (or the head's captured map). Of each range only the keys its rows
    /// may see (the mask's block hull: a band for sliding windows) are copied to a pinned host buffer and handed to
    /// the callback row by row — rows with nothing to attend are not handed over, as on the CPU. The device buffer
    /// holds about 64 MiB of rows; the callback runs on this thread while the device waits.
    OpStatus attentionWithRowObserver(const AttentionArgs& a, const AttentionParams& p, const AttentionTiles& t,
                                      const AttentionCapture& capture, const std::function<bool()>& stopped)
    {
        if (Result r = AttentionOp::runStatistics(p, t, stopped, m_stream); !r.ok())
            return status(r);
        const int64_t T = a.tokens;
        const int64_t rowsWanted = std::max<int64_t>(1, (int64_t(64) << 20) / (T * int64_t(sizeof(float))));
        const int64_t blocksPerChunk =
            std::max<int64_t>(1, std::min(t.rowBlocksPerLaunch, rowsWanted / t.rowsPerBlock));
        const int64_t chunkRows = std::min(blocksPerChunk * t.rowsPerBlock, T);
        const size_t chunkBytes = size_t(chunkRows) * size_t(T) * sizeof(float);
        Result wsResult;
        float* scratch = static_cast<float*>(m_observerWs.get(chunkBytes, m_stream, wsResult));
        if (!scratch)
            return status(wsResult);
        float* host = pinnedStaging(chunkBytes);
        if (!host)
            return OpStatus::oom("attention: no host memory for the streamed rows");
        RowKeys keys;
        for (int64_t h = 0; h < a.heads; ++h) {
            float* map = size_t(h) < capture.probs.size() ? capture.probs[size_t(h)] : nullptr;
            AttentionCapture one = capture;   // this head's own outputs, plus the row buffer when it has no map
            one.probs.assign(size_t(a.heads), nullptr);
            one.probs[size_t(h)] = map ? map : scratch;
            for (int64_t rb = 0; rb < t.rowBlocks; rb += blocksPerChunk) {
                const int64_t rbEnd = std::min(t.rowBlocks, rb + blocksPerChunk);
                const int64_t r0 = rb * t.rowsPerBlock, r1 = std::min(T, rbEnd * t.rowsPerBlock);
                if (Result r = AttentionOp::runOutput(p, t, one, h, h + 1, rb, rbEnd, map ? 0 : r0, stopped, m_stream); !r.ok())
                    return status(r);
                const KeyRange hull = a.mask.blockHull(r0, r1, T);
                const int64_t width = hull.size();
                if (width > 0) {
                    const float* src = (map ? map + r0 * T : scratch) + hull.begin;
                    cudaError_t e = cudaMemcpy2DAsync(host, size_t(width) * sizeof(float), src, size_t(T) * sizeof(float),
                                                      size_t(width) * sizeof(float), size_t(r1 - r0), cudaMemcpyDeviceToHost,
                                                      m_stream);
                    if (e == cudaSuccess)
                        e = cudaStreamSynchronize(m_stream);
                    if (e != cudaSuccess)
                        return status(resultFromCuda(e, "attention: rows for the streamed statistics"));
                    for (int64_t i = r0; i < r1; ++i) {
                        a.mask.rowKeys(i, T, keys);
                        if (!keys.range.empty())
                            a.rowObserver(a.rowObserverContext, h + a.observerHeadBase, i, host + (i - r0) * width, hull.begin);
                    }
                }
                if (stopped())
                    return OpStatus::cancel();
            }
        }
        return OpStatus::success();
    }

    /// A page-locked host buffer of at least `bytes` (fast device-to-host copies), kept between calls; null when the
    /// host cannot pin that much.
    float* pinnedStaging(size_t bytes)
    {
        if (bytes > m_pinnedBytes) {
            if (m_pinned)
                cudaFreeHost(m_pinned);
            m_pinned = nullptr;
            m_pinnedBytes = 0;
            if (cudaMallocHost(&m_pinned, bytes) != cudaSuccess) {
                cudaGetLastError();
                m_pinned = nullptr;
                return nullptr;
            }
            m_pinnedBytes = bytes;
        }
        return static_cast<float*>(m_pinned);
    }

    /// Device copies of the tables of a pattern mask (Longformer's global positions, BigBird's block layout, an
    /// explicit bit matrix) attached to p. Kept while the next call uses an equal mask on the same number of
    /// tokens: every head of a layer run one call at a time, every layer of a what-if run with one pattern.
    Result maskTables(const AttentionMask& m, int64_t T, MaskParams& p)
    {
        MaskTables t;
        std::string why;
        if (!buildMaskTables(m, T, t, why))
            return Result::invalid("attention: " + why);
        if (!t.needed())
            return Result::success();
        Result r;
        void* d = m_maskWs.get(roundUp256(std::max<size_t>(t.size(), 1)), m_stream, r);
        if (!d)
            return r;
        if (!(d == m_maskCachePtr && T == m_maskCacheTokens && m == m_maskCache)) {
            m_maskCachePtr = nullptr;
            // Pageable source: the call returns once the bytes are staged, so `t` may go out of scope.
            if (cudaError_t e = cudaMemcpyAsync(d, t.data(), t.size(), cudaMemcpyHostToDevice, m_stream); e != cudaSuccess)
                return resultFromCuda(e, "attention: mask tables");
            m_maskCachePtr = d;
            m_maskCache = m;
            m_maskCacheTokens = T;
        }
        attachMaskTables(m, t, d, p);
        return Result::success();
    }

    template <typename Op, typename Params>
    OpStatus simple(const Params& p)
    {
        if (Result r = Op::canImplement(p); !r.ok())
            return status(r);
        return status(Op::run(p, nullptr, m_stream));
    }

    void kill(const std::string& reason)
    {
        if (!m_dead) {
            m_dead = true;
            m_deadReason = reason;
        }
    }
    OpStatus deadStatus() const { return OpStatus::failure("cuda: the device is unusable after an error: " + m_deadReason); }

    OpStatus status(const Result& r)
    {
        switch (r.status) {
        case Status::Success: return OpStatus::success();
        case Status::Cancelled: return OpStatus::cancel();
        case Status::OutOfMemory: return OpStatus::oom(r.message);
        case Status::DeviceError: {
            bool sticky = r.sticky;
            if (!sticky) {   // a failed library call may hide a context-level error
                const cudaError_t e = cudaPeekAtLastError();
                sticky = e != cudaSuccess && isStickyError(e);
            }
            if (sticky)
                kill(r.message);
            return OpStatus::failure(r.message);
        }
        case Status::InvalidArgument:
        case Status::NotSupported: return OpStatus::failure(r.message);
        }
        return OpStatus::failure(r.message);
    }

    /// Test hook (FaultPlan): true with `out` set when this call of `op` is to fail.
    bool injectFault(OpKind op, OpStatus& out)
    {
        if (m_dead) {
            out = deadStatus();
            return true;
        }
        if (m_fault.kind == FaultPlan::Kind::None || op != m_fault.op)
            return false;
        const int64_t n = ++m_faultCalls;
        const bool fire = m_fault.kind == FaultPlan::Kind::OomAlways ? n >= m_fault.call : n == m_fault.call;
        if (!fire)
            return false;
        const std::string what = std::string("injected fault in ") + opKindName(op) + " (ATTNSCOPE_CUDA_FAULT)";
        switch (m_fault.kind) {
        case FaultPlan::Kind::Oom:
        case FaultPlan::Kind::OomAlways: out = OpStatus::oom(what + ": out of memory"); break;
        case FaultPlan::Kind::Error: out = OpStatus::failure(what + ": device error"); break;
        case FaultPlan::Kind::Sticky:
            kill(what + ": sticky device error");
            out = OpStatus::failure(what + ": sticky device error");
            break;
        case FaultPlan::Kind::None: return false;
        }
        return true;
    }

    ProbeResult m_probe;
    cudaStream_t m_stream = nullptr;
    cublasLtHandle_t m_lt = nullptr;
    cublasHandle_t m_blas = nullptr;
    Workspace m_attnWs, m_gatherWs, m_gemmWs, m_sinkWs, m_maskWs, m_observerWs;
    void* m_pinned = nullptr;   // pinnedStaging()
    size_t m_pinnedBytes = 0;
    const void* m_maskCachePtr = nullptr;   // m_maskWs holds the tables of m_maskCache for m_maskCacheTokens
    AttentionMask m_maskCache;
    int64_t m_maskCacheTokens = 0;
    GemmPlanCache m_gemmCache;
    int m_level = 0;
    bool m_dead = false;
    std::string m_deadReason;
    FaultPlan m_fault;
    std::string m_faultProblem;
    int64_t m_faultCalls = 0;
};

class CudaFactory final : public BackendFactory {
public:
    std::string name() const override { return "cuda"; }
    bool probe(std::string& reason) const override
    {
        ProbeResult p = probeDevice();
        if (!p.ok)
            reason = p.reason;
        return p.ok;
    }
    std::unique_ptr<Backend> create() const override { return std::make_unique<CudaBackend>(probeDevice()); }
};

} // namespace

std::unique_ptr<BackendFactory> makeCudaBackendFactory()
{
    return std::make_unique<CudaFactory>();
}

} // namespace attnscope::cuda
