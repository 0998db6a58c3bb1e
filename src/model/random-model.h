// A randomly initialised copy of a model: the null that tells what training
// added to what a prompt's tokens already give (the probes' and the study's
// random-model baselines).
#pragma once

#include <cstdint>

#include "model/model.h"

namespace strata {

// A model with the configuration and weight shapes of `model` (no tokenizer)
// and weights drawn with `seed`: matrices normal(0, std) (in BF16 where the
// model's are 16 bits wide, else f32), norm weights 1, biases 0.
Model random_copy(const Model& model, uint64_t seed, double std);

}  // namespace strata
