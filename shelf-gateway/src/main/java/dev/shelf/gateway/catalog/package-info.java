/** What is on the shelf: models, prices, and the built-in model map of well-known models. */
@NullMarked
package dev.shelf.gateway.catalog;

import org.jspecify.annotations.NullMarked;
