/**
 * AIGC labels as GB 45438-2025 describes them for generated text: the implicit label (metadata with
 * the standard's field names) signed so that Shelf can later tell whether it produced a given text,
 * and the optional explicit label (a visible notice in the text itself).
 */
@NullMarked
package dev.shelf.guard.label;

import org.jspecify.annotations.NullMarked;
