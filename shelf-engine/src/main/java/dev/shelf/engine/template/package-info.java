/**
 * Chat templates: a model's Jinja chat template rendered with Jinjava the way HuggingFace
 * transformers' {@code apply_chat_template} renders it with Python's Jinja2.
 *
 * <p>{@link dev.shelf.engine.template.ChatTemplate} is the entry point. Jinjava differs from Jinja2
 * in many small ways; this package closes the gaps that real chat templates hit: whitespace control
 * ({@code {{-}}/{@code -}}}, {@code trim_blocks}, {@code lstrip_blocks}, the dropped trailing
 * newline), Python's string and dict methods ({@link dev.shelf.engine.template.PyMethods}), {@code
 * tojson} formatted as {@code json.dumps} ({@link dev.shelf.engine.template.PyJson}), {@code
 * raise_exception} that really fails, {@code strftime_now}, the {@code items} filter, the {@code {%
 * filter %}} block, {@code loop.previtem}/{@code loop.nextitem} and Python's notion of {@code is
 * iterable}.
 */
@NullMarked
package dev.shelf.engine.template;

import org.jspecify.annotations.NullMarked;
