// The qwen3_next row's GGUF side against the file llama.cpp's convert_hf_to_gguf.py wrote of the all-MoE tiny
// Qwen3-Next (tests/fixtures/make_qwen3next_gguf.py; docs/GATED.md "GGUF files"). TinyGated.MatchesReference checks
// its outputs against transformers; here: each converter transform, seen through the weight store, equals the HF
// twin's tensor as the HF path uses it (norms + 1, ssm_a = −exp(A_log), attn_qkv / attn_gate = the rearranged
// in_proj_qkvz rows, stacked experts = the per-expert tensors); the MTP block is not run; and files whose tensors
// do not match the row are refused naming the tensor and its role.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/capture/collecting_observer.h"
#include "core/model/forward.h"
#include "core/model/loaded_model.h"
#include "core/model/packed_projection.h"
#include "core/model/weight_store.h"
#include "core/session/model_info.h"
#include "core/util/error.h"
#include "kernels/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <iterator>
#include <unistd.h>

using namespace attnscope;
namespace fs = std::filesystem;

namespace {

const std::string kTiny = std::string(ATTNSCOPE_TEST_FIXTURES) + "/tiny/";
const std::string kGguf = kTiny + "tiny-qwen3-next-moe-f32.gguf";
const std::string kFolder = kTiny + "tiny-qwen3-next-moe";

std::vector<float> copyOf(const float* p, const TensorInfo& t)
{
    return std::vector<float>(p, p + t.elementCount());
}

double maxDiff(const float* a, const float* b, int64_t n, float offsetB = 0.f)
{
    double e = 0;
    for (int64_t i = 0; i < n; ++i)
        e = std::max(e, double(std::fabs(a[i] - (b[i] + offsetB))));
    return e;
}

/// The fixture with its bytes changed by `edit`, written to a temporary file (removed by the destructor).
struct EditedGguf {
    fs::path path;
    explicit EditedGguf(const std::function<void(std::vector<char>&)>& edit)
    {
        std::ifstream in(kGguf, std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        edit(bytes);
        static int n = 0;
        path = fs::temp_directory_path() / ("attnscope_q3n_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".gguf");
        std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    ~EditedGguf() { fs::remove(path); }
};

/// Position of a GGUF string (its u64 length, then the bytes) in the file.
size_t findGgufString(const std::vector<char>& bytes, const std::string& s)
{
    std::string needle(8, '\0');
    const uint64_t n = s.size();
    std::memcpy(needle.data(), &n, 8);
    needle += s;
    const auto it = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
    EXPECT_NE(it, bytes.end()) << s;
    return static_cast<size_t>(it - bytes.begin()) + 8;
}

/// Renames tensor `a` to `b` (same length, so every offset stays valid).
void rename(std::vector<char>& bytes, const std::string& a, const std::string& b)
{
    ASSERT_EQ(a.size(), b.size());
    std::memcpy(bytes.data() + findGgufString(bytes, a), b.data(), b.size());
}

void swapNames(std::vector<char>& bytes, const std::string& a, const std::string& b)
{
    std::string tmp = a;
    tmp.back() = '#';
    rename(bytes, a, tmp);
    rename(bytes, b, a);
    rename(bytes, tmp, b);
}

/// The error opening the file gives (a test failure when it opens).
Error openError(const fs::path& p)
{
    try {
        LoadedModel::open(p.string());
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << p << " opened";
    return Error(ErrorKind::Internal, "", "", -1, "");
}

} // namespace

TEST(Qwen3NextGguf, ConfigFromTheConverterKeys)
{
    auto g = LoadedModel::open(kGguf);
    auto h = LoadedModel::open(kFolder);
    const ModelConfig& a = g->config();
    const ModelConfig& b = h->config();
    EXPECT_EQ(a.architecture, "qwen3next");
    EXPECT_EQ(std::string(a.arch->name), "qwen3_next");
    EXPECT_EQ(a.nLayers, 4) << "block_count 5 counts the MTP block";
    EXPECT_EQ(a.mtpBlocks, 1);
    EXPECT_EQ(a.normWeightOffset, 0.f) << "the converter baked the + 1 into the norm weights";
    EXPECT_EQ(b.normWeightOffset, 1.f);
    EXPECT_EQ(a.layerRulesSummary(), b.layerRulesSummary());
    EXPECT_EQ(a.ropeDims, b.ropeDims);
    EXPECT_EQ(a.ropeDims, 4);
    EXPECT_EQ(a.ropePairing, RopePairing::SplitHalf);
    EXPECT_EQ(a.deltaNet.keyHeads, b.deltaNet.keyHeads);
    EXPECT_EQ(a.deltaNet.valueHeads, b.deltaNet.valueHeads);
    EXPECT_EQ(a.deltaNet.keyDim, b.deltaNet.keyDim);
    EXPECT_EQ(a.deltaNet.valueDim, b.deltaNet.valueDim);
    EXPECT_EQ(a.deltaNet.convKernel, b.deltaNet.convKernel);
    EXPECT_EQ(a.moe.experts, b.moe.experts);
    EXPECT_EQ(a.moe.topK, b.moe.topK);
    EXPECT_EQ(a.moe.expertFfn, b.moe.expertFfn);
    EXPECT_EQ(a.moe.sharedFfn, b.moe.sharedFfn);
    EXPECT_TRUE(a.moe.normTopK);
    for (int l = 0; l < a.nLayers; ++l) {
        EXPECT_EQ(a.layers[size_t(l)].mixer, b.layers[size_t(l)].mixer) << l;
        EXPECT_EQ(a.layers[size_t(l)].ffn, FfnKind::Moe) << l;
    }
    // The MTP block's tensors (blk.4.*) are reported, not run; the HF folder's mtp.* likewise.
    const auto& unused = g->plan().unused;
    EXPECT_NE(std::find(unused.begin(), unused.end(), "blk.4.nextn.eh_proj.weight"), unused.end());
    EXPECT_NE(std::find(unused.begin(), unused.end(), "blk.4.attn_q.weight"), unused.end());
    EXPECT_TRUE(std::all_of(unused.begin(), unused.end(), [](const std::string& n) { return n.rfind("blk.4.", 0) == 0; }));
    EXPECT_NE(describeModel(*g).block.find("1 multi-token-prediction block after the last layer (not run)"), std::string::npos)
        << describeModel(*g).block;
    const auto& hfUnused = h->plan().unused;
    EXPECT_NE(std::find(hfUnused.begin(), hfUnused.end(), "mtp.fc.weight"), hfUnused.end());
}

TEST(Qwen3NextGguf, EachConverterTransformGivesTheWeightTheHfPathUses)
{
    auto g = LoadedModel::open(kGguf);
    auto h = LoadedModel::open(kFolder);
    cpu::CpuBackend backend(1);
    WeightStore gs(*g, backend), hs(*h, backend);
    const ModelConfig& cfg = g->config();
    const DeltaNetDims& dn = cfg.deltaNet;
    const int64_t D = cfg.dModel;
    using R = TensorRole;
    auto same = [&](R r, int l, float hfOffset) {
        const BoundTensor& a = g->plan().get(r, l);
        const BoundTensor& b = h->plan().get(r, l);
        ASSERT_TRUE(a && b) << tensorRoleLabel(r) << " layer " << l;
        ASSERT_EQ(a.info->elementCount(), b.info->elementCount()) << a.info->name;
        EXPECT_EQ(maxDiff(gs.get(a), hs.get(b), int64_t(a.info->elementCount()), hfOffset), 0.0) << a.info->name;
    };
    // +1 baked into every norm but the DeltaNet output norm (exact in fp32 for these weights).
    EXPECT_EQ(maxDiff(gs.get(g->plan().get(R::OutputNorm)), hs.get(h->plan().get(R::OutputNorm)), D, 1.f), 0.0);
    for (int l = 0; l < cfg.nLayers; ++l) {
        same(R::AttnNorm, l, 1.f);
        same(R::FfnNorm, l, 1.f);
        same(R::MoeRouter, l, 0.f);
        same(R::MoeSharedGate, l, 0.f);
        same(R::MoeSharedUp, l, 0.f);
        same(R::MoeSharedDown, l, 0.f);
        same(R::MoeSharedExpertGate, l, 0.f);
        if (cfg.layers[size_t(l)].mixer == TokenMixer::SoftmaxAttention) {
            same(R::QNorm, l, 1.f);
            same(R::KNorm, l, 1.f);
            for (R r : {R::Q, R::K, R::V, R::O})
                same(r, l, 0.f);   // no q/k permutation for this architecture: split-half RoPE in both formats
        } else {
            same(R::DeltaNorm, l, 0.f);
            same(R::DeltaDtBias, l, 0.f);
            same(R::DeltaConv, l, 0.f);      // [channels, K] here, [channels, 1, K] in HF
            same(R::DeltaInProjBa, l, 0.f);  // kept in HF's per-key-head packing
            same(R::DeltaOutProj, l, 0.f);
            // ssm_a = −exp(A_log)
            const float* A = gs.get(g->plan().get(R::DeltaA, l));
            const float* aLog = hs.get(h->plan().get(R::DeltaALog, l));
            for (int v = 0; v < dn.valueHeads; ++v)
                EXPECT_NEAR(A[v], -std::exp(aLog[v]), 1e-6 * std::exp(aLog[v])) << "layer " << l << " head " << v;
            // attn_qkv and attn_gate: in_proj_qkvz's rows as the weight store rearranges them for the HF path.
            const DeltaNetRows rows = deltaNetProjectionRows(dn);
            const float* hfQkvz = hs.getRearranged(h->plan().get(R::DeltaInProjQkvz, l), concatenatedRows("qkv|z", {rows.qkv, rows.z}));
            EXPECT_EQ(maxDiff(gs.get(g->plan().get(R::DeltaInProjQkv, l)), hfQkvz, dn.convChannels() * D), 0.0) << l;
            EXPECT_EQ(maxDiff(gs.get(g->plan().get(R::DeltaInProjZ, l)), hfQkvz + dn.convChannels() * D, dn.valueWidth() * D), 0.0) << l;
        }
        // Expert e of ffn_{gate,up,down}_exps is HF's experts.e.{gate,up,down}_proj.
        for (int e = 0; e < cfg.moe.experts; ++e) {
            const ExpertTensors& a = g->plan().expert(l, e);
            const ExpertTensors& b = h->plan().expert(l, e);
            EXPECT_EQ(a.gate.slice, e);
            for (auto [x, y] : {std::pair{a.gate, b.gate}, std::pair{a.up, b.up}, std::pair{a.down, b.down}})
                EXPECT_EQ(maxDiff(gs.get(x), hs.get(y), int64_t(y.info->elementCount())), 0.0)
                    << x.info->name << " expert " << e;
        }
    }
}

TEST(Qwen3NextGguf, AnExpertSliceConvertsOnlyItsMatrixAndStreamingGivesTheSameLogits)
{
    auto g = LoadedModel::open(kGguf);
    cpu::CpuBackend backend(2);
    const ModelConfig& cfg = g->config();
    {
        WeightStore store(*g, backend);
        const ExpertTensors& x = g->plan().expert(0, 2);
        const float* p = store.get(x.down);
        EXPECT_EQ(store.heldBytes(), uint64_t(cfg.dModel) * cfg.moe.expertFfn * sizeof(float)) << "one expert, not four";
        EXPECT_EQ(store.get(x.down), p) << "kept for the next run";
        EXPECT_NE(store.get(g->plan().expert(0, 1).down), p) << "each expert has its own entry";
    }
    const auto ids = std::vector<int32_t>{5, 17, 3, 99, 250, 41, 8, 8, 120};
    CaptureSpec spec;
    spec.logits = CaptureSpec::Logits::All;
    CollectingObserver resident(spec), streamed(spec);
    runForward(*g, backend, ids, resident);
    WeightStore streaming(*g, backend, 1);
    ASSERT_FALSE(streaming.resident());
    runForward(*g, backend, ids, streamed, {}, &streaming);
    ASSERT_EQ(resident.logits().size(), streamed.logits().size());
    for (size_t p = 0; p < resident.logits().size(); ++p)
        EXPECT_EQ(resident.logits()[p].second, streamed.logits()[p].second) << p;
    EXPECT_EQ(streaming.heldBytes(), 0u);
}

TEST(Qwen3NextGguf, TensorsThatDoNotMatchTheRowAreRefusedWithNameAndRole)
{
    struct Case {
        const char* what;
        std::function<void(std::vector<char>&)> edit;
        const char* tensor;
        const char* mentions;
    };
    const Case cases[] = {
        {"experts' gate and down swapped",
         [](std::vector<char>& b) { swapNames(b, "blk.0.ffn_gate_exps.weight", "blk.0.ffn_down_exps.weight"); },
         "blk.0.ffn_gate_exps.weight", "MoE expert gate projection) has shape [4, 48, 32], which does not match the config's [4, 32, 48]"},
        {"query and key swapped",
         [](std::vector<char>& b) { swapNames(b, "blk.1.attn_q.weight", "blk.1.attn_k.weight"); },
         "blk.1.attn_q.weight", "query projection) has shape [32, 48]"},
        {"decay rate missing",
         [](std::vector<char>& b) { rename(b, "blk.0.ssm_a", "blk.0.ssm_x"); },
         "blk.0.ssm_a", "required tensor (Gated DeltaNet decay rate (A = -exp(A_log))) is missing"},
        {"layer 1 declared recurrent",
         [](std::vector<char>& b) {
             // attention.recurrent_layers: key, type 9 (array), element type 7 (bool), count 5, then the flags.
             const std::string key = "qwen3next.attention.recurrent_layers";
             const size_t at = findGgufString(b, key) + key.size() + 4 + 4 + 8;
             ASSERT_EQ(b[at], 1);
             ASSERT_EQ(b[at + 1], 0);
             b[at + 1] = 1;
         },
         "blk.1.attn_qkv.weight", "required tensor (Gated DeltaNet q/k/v projection) is missing"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        EditedGguf f(c.edit);
        const Error e = openError(f.path);
        EXPECT_EQ(e.kind(), ErrorKind::Model);
        EXPECT_EQ(e.field(), c.tensor);
        EXPECT_NE(std::string(e.what()).find(c.mentions), std::string::npos) << e.what();
    }
}
