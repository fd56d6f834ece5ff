package dev.shelf.gateway.metering;

import dev.shelf.gateway.catalog.Price;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Turns usage into cost in the billing currency. Prices are per million tokens in the model's own
 * currency; {@code rates} convert a unit of another currency into billing units (configured under
 * {@code billing.rates}; a model priced in a currency with no rate is refused at load).
 */
public final class Pricing {
  private final String currency;
  private final Map<String, Double> rates;

  public Pricing(String currency, Map<String, Double> rates) {
    this.currency = currency;
    this.rates = Map.copyOf(rates);
  }

  public String currency() {
    return currency;
  }

  /** Whether prices in {@code c} can be billed. */
  public boolean converts(String c) {
    return c.equals(currency) || rates.containsKey(c);
  }

  /** The cost in nano-units; 0 for a model with no price (a local model, say). */
  public long cost(@Nullable Price price, long prompt, long completion, long cached) {
    if (price == null) {
      return 0;
    }
    double cachedRate = price.cachedInput() == null ? price.input() : price.cachedInput();
    long uncached = Math.max(0, prompt - cached);
    double perMillion =
        uncached * price.input()
            + Math.min(cached, prompt) * cachedRate
            + completion * price.output();
    // per million tokens -> units: / 1e6; units -> nano-units: * 1e9
    return Math.round(perMillion * 1000 * rate(price.currency()));
  }

  private double rate(String c) {
    if (c.equals(currency)) {
      return 1;
    }
    Double r = rates.get(c);
    if (r == null) {
      throw new IllegalStateException("no billing rate for " + c + " into " + currency);
    }
    return r;
  }
}
