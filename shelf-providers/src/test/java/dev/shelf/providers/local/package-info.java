@NullMarked
package dev.shelf.providers.local;

import org.jspecify.annotations.NullMarked;
