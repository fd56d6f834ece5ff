/** The anthropic adapter's wire translation, HTTP plumbing and error mapping. */
@NullMarked
package dev.shelf.providers.anthropic.internal;

import org.jspecify.annotations.NullMarked;
