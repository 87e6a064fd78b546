// What a CUDA kernel's host API returns (docs/CUDA.md "Host API"): a code and a message, never an exception.
// `sticky` marks errors after which the CUDA context is unusable (illegal address, launch failure, …): the backend
// then reports itself unhealthy and later runs go to the CPU.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <string>
#include <utility>

namespace attnscope::cuda {

enum class Status {
    Success,
    InvalidArgument,   // canImplement: sizes, strides or pointers that cannot be right
    NotSupported,      // valid, but outside what this kernel implements (e.g. head dim > 256)
    OutOfMemory,       // device allocation failed: recoverable (smaller tiles, then CPU)
    DeviceError,       // a CUDA or cuBLAS call failed
    Cancelled,
};

struct Result {
    Status status = Status::Success;
    std::string message;
    bool sticky = false;

    bool ok() const { return status == Status::Success; }
    static Result success() { return {}; }
    static Result invalid(std::string m) { return {Status::InvalidArgument, std::move(m), false}; }
    static Result notSupported(std::string m) { return {Status::NotSupported, std::move(m), false}; }
    static Result oom(std::string m) { return {Status::OutOfMemory, std::move(m), false}; }
    static Result device(std::string m, bool sticky) { return {Status::DeviceError, std::move(m), sticky}; }
    static Result cancelled() { return {Status::Cancelled, "cancelled", false}; }
};

} // namespace attnscope::cuda
