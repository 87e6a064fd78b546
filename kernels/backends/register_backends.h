// Explicit backend registration (no static-initialiser self-registration: linkers drop unreferenced objects
// from static libraries). CUDA is added first when built; CPU always last, the guaranteed fallback.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/backend/backend.h"

namespace attnscope {

void registerBuiltinBackends(BackendRegistry& registry);
/// A registry with every backend this build has.
BackendRegistry& builtinBackends();

} // namespace attnscope
