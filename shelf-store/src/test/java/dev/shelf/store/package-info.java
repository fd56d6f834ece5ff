@NullMarked
package dev.shelf.store;

import org.jspecify.annotations.NullMarked;
