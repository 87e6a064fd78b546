// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/session/progress.h"

namespace attnscope {

const char* stageName(Stage s)
{
    switch (s) {
    case Stage::Idle: return "idle";
    case Stage::Opening: return "opening";
    case Stage::Validating: return "validating";
    case Stage::Mapping: return "mapping";
    case Stage::Tokenising: return "tokenising";
    case Stage::Layer: return "layer";
    case Stage::Head: return "head";
    case Stage::Tile: return "tile";
    case Stage::Exporting: return "exporting";
    case Stage::Done: return "done";
    }
    return "unknown";
}

} // namespace attnscope
