/* MicroAST (Wang et al., AAAI 2023; github.com/EndyWon/MicroAST,
 * net_microAST.py at 5a6c905): a micro encoder-decoder for arbitrary
 * style transfer without VGG.  Four files: content encoder, style encoder,
 * modulator, decoder (legacy PyTorch state dicts).
 *
 * The method ns_stylize runs for NS_METHOD_MICROAST: upstream's TestNet
 * with alpha 1.  Strength blends the result with the content in image
 * space (0 = the content, as for fast styles), not upstream's alpha:
 * measured with upstream's own code on three pairs at 256x192, every
 * alpha in (0, 1) gives a saturated image (alpha 0.9: 82-94% of the
 * values clipped to 0 or 1, decoder outputs up to 13) because the feature
 * blend leaves the decoder's training range, and alpha 0 is far from the
 * content (mean |out - content| 0.24-0.36).  Several styles: their codes
 * (feature means and deviations, the modulator's weights and biases)
 * are mixed with the normalised style weights.  A mask with one style
 * blends result and content (ns_job_finish); with two styles the content
 * is decoded once per style and the mask picks
 * style 1 where 1, style 2 where 0. */
#ifndef NS_MICROAST_H
#define NS_MICROAST_H

#include "stylize.h"

/* The files of a MicroAST model folder, NULL-terminated, in load order:
 * content encoder, style encoder, modulator, decoder. */
extern const char *const ns_microast_files[];

/* Checks that FILES (as ns_microast_files, named by NAMES in messages)
 * hold every MicroAST tensor with the right shape and nothing else:
 * NS_ERR_FORMAT for a missing or unexpected tensor, NS_ERR_SHAPE for a
 * wrong shape, naming the file and the key. */
ns_status ns_microast_check_files (ns_weights *const *files,
                                   const char *const *names, ns_error *err);

ns_status ns_microast_run (const ns_job *job, ns_image *result, ns_error *err);

/* Estimated peak bytes of a run at a W x H working size with PARAMS
 * (the style counted at style-size, or at the content's size when 0). */
double ns_microast_memory_need (const ns_params *params, int w, int h);

#endif /* NS_MICROAST_H */
