/* GIMP Neural Style — the Gatys et al. (2015) optimisation method.
 *
 * Engine-internal: the method ns_stylize () runs for NS_METHOD_GATYS.
 * The kernels it is built from (Gram matrices, losses, L-BFGS, Adam) are
 * declared in gatys-kernels.h for the tests.  Includes nothing of
 * engine/style.
 */
#ifndef NS_GATYS_H
#define NS_GATYS_H

#include "stylize.h"

/* Optimises an image so that its deep features match JOB's content's and
 * its Gram matrices match those of its styles (blended by their weights),
 * as a method of ns_stylize (see stylize.h): JOB's content and mask are at
 * the working size (max_size applied), the arguments checked; *RESULT
 * receives the best image (lowest total loss seen), at the working size,
 * unclamped, and ns_stylize finishes it (clamp, resize back, colour
 * preservation, one-style mask blend).
 *
 * Feature network, by MODEL's kind:
 *  - NS_MODEL_CD16X: enc5 (the trunk up to relu5_1) with its convN1_aux
 *    1x1 heads (+ReLU), which imitate the full-width VGG-19 reluN_1.  Style
 *    loss on the five aux outputs, content loss on relu3_1's aux output
 *    (measured best, see featnet.c; it needs a larger style weight, about
 *    30, than a deeper content layer for the same amount of style).
 *  - NS_MODEL_VGG19: the normalised VGG-19, style relu1_1..relu5_1,
 *    content relu4_2.
 *  - NS_MODEL_LST_R31: the normalised VGG-19 up to relu3_1, style
 *    relu1_1..relu3_1, content relu3_1.
 *
 * Losses (all normalised so the weights do not depend on the network's
 * feature scale or the image size):
 *   content = |F - Fc|^2 / |Fc|^2
 *   style   = sum_l w_l |G_l - S_l|^2 / |S_l|^2,  G = F F^T / (H W),
 *             w_l = 1 / n_layers, S_l = sum_k weight_k G_l(style_k)
 *   tv      = mean over pixels and channels of squared neighbour
 *             differences (x and y)
 *   total   = content_weight * content
 *             + style_weight * strength * style + tv_weight * tv
 *
 * PARAMS->gatys: iterations per scale, weights, init (content, seeded
 * uniform noise or init_image), scales (coarse to fine, each scale half the
 * size of the next, fewer scales when the coarsest short side would fall
 * under 64 px), use_adam / learning_rate (else L-BFGS with 20 correction
 * pairs, see ns_lbfgs_step), image_every / image_cb (the iteration count
 * runs on across scales; the image is finished by ns_job_finish, at the
 * caller's content size).  PARAMS->strength scales the style weight.
 * style_size sets the styles' long side at the final scale (0: the content's
 * working long side).  MASK: with one style, ns_stylize blends the result
 * with the content (mask * stylized + (1 - mask) * content, JOB->blend_mask);
 * with two styles, style 0 where the mask is 1 and
 * style 1 where it is 0, by Gram losses restricted to each region (see
 * ns_gatys_objective_set_masked_styles; the styles' weights are then replaced
 * by their regions' areas).
 *
 * Progress: ns_run_tick once per iteration with that iteration's FLOPs
 * (stage "optimising" or "optimising, scale i/n"; "encoding style" before
 * each scale) and between layers with no work, so that cancelling takes
 * effect within one layer; JOB->run->total is set to its done plus this
 * call's estimated work.
 * Threads: PARAMS->n_threads (0 = all cores) for the engine's loops and
 * the banded convolutions (ns_conv2d_backward_banded in nn/nn.h); Gram products
 * and whole-image convolutions split their pixels among the OpenMP threads or
 * let OpenBLAS thread.  NS_GATYS_DEBUG=1 in the environment prints one line per
 * scale (iterations, evaluations, losses) to stderr.
 *
 * Good settings for cd16x at 512 px (tubingen + starry_night): scales 2,
 * style_weight 30, 200 iterations (73 s on 2 cores); the single-scale
 * style_weight 10 default gives a fine-grained, weaker effect.
 *
 * Stopping early:
 *  - IMAGE_CB returning false stops the optimisation: NS_OK, RESULT holds
 *    the best image so far.
 *  - Cancelling through the progress callback returns NS_ERR_CANCELLED and
 *    RESULT still holds the best image so far (nothing before the first
 *    evaluation: ns_stylize then gives the content), so a caller may show
 *    it.
 *
 * Memory is checked per scale by the feature network's buffers (featnet.c)
 * before they are allocated.  A fixed PARAMS->seed gives bit-identical
 * results for the same thread count. */
ns_status ns_gatys_run (const ns_job *job, ns_image *result, ns_error *err);

#endif /* NS_GATYS_H */
