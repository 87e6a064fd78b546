// What a comparison run hands to the UI (docs/VARIANTS.md "Comparing", docs/GUI.md "Compare"): the engine's
// immutable CompareResult (baseline and variants, their numbers and the maps kept for the views), the token rows
// for labels, which layers' maps were kept, and the text and model it was computed for.
// Threading: built on the compute thread, then shared read-only.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/session/compare_run.h"
#include "ui/models/token_list_model.h"

#include <QMetaType>
#include <QString>

#include <memory>
#include <vector>

namespace attnscope {

struct CompareOutcome {
    std::shared_ptr<const CompareResult> result;
    TokenRowsPtr tokens;
    bool allLayers = false;          // every layer's maps were kept …
    std::vector<int> capturedLayers; // … or only these
    bool longPrompt = false;         // no maps at all: the metrics only (CompareRequest::longPrompt)
    QString text;                    // the prompt it ran on
    QString modelPath;

    bool hasLayer(int layer) const
    {
        if (allLayers)
            return true;
        for (int l : capturedLayers)
            if (l == layer)
                return true;
        return false;
    }
};
using CompareOutcomePtr = std::shared_ptr<const CompareOutcome>;

} // namespace attnscope

Q_DECLARE_METATYPE(attnscope::CompareOutcomePtr)
