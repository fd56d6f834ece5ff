/**
 * The policy pipeline: which guards apply to a caller and what a hit does.
 *
 * <p>{@link dev.shelf.guard.policy.Guardrails} reads the {@code guard:} section of {@code
 * shelf.yaml} into named {@link dev.shelf.guard.policy.Policy policies} and assigns them per key,
 * per team, or by default. A policy checks a request's input texts ({@link
 * dev.shelf.guard.policy.Policy#checkInput}) and filters the generated text on its way out ({@link
 * dev.shelf.guard.policy.GuardedChat}, {@link dev.shelf.guard.policy.GuardedCompletion}), streaming
 * or not; each hit is a {@link dev.shelf.guard.policy.PolicyHit} with the rule that fired.
 */
@NullMarked
package dev.shelf.guard.policy;

import org.jspecify.annotations.NullMarked;
