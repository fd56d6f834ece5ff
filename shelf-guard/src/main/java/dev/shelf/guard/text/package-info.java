/** Text normalisation against evasion, shared by the keyword matcher and the injection scorer. */
@NullMarked
package dev.shelf.guard.text;

import org.jspecify.annotations.NullMarked;
