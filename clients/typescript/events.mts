/**
 * A seller learns of a sale from the event feed, through openapi-fetch on the types that
 * openapi-typescript generates from openapi/schema.yaml. Run against a live server:
 *
 *   tsc -p clients/typescript/tsconfig.events.json && node clients/generated/typescript-run/events.mjs http://127.0.0.1:8000
 *
 * It registers a seller and a buyer, lists a prompt, buys it, and reads the seller's
 * `purchase.completed` event; it prints what it saw as one line of JSON and exits non-zero on
 * any surprise.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "../generated/typescript/schema";

type Schemas = components["schemas"];
type Api = Client<paths>;

// Node's globals, declared here so the program needs no @types/node.
declare const process: { argv: string[]; exitCode?: number };

const PASSWORD = "a-long-and-unguessable-passphrase";

function must<T>(what: string, data: T | undefined, error: unknown): T {
  if (data === undefined) throw new Error(`${what} failed: ${JSON.stringify(error)}`);
  return data;
}

async function signUp(baseUrl: string, username: string): Promise<Api> {
  const anonymous = createClient<paths>({ baseUrl });
  const registered = await anonymous.POST("/api/v1/auth/register/", {
    body: { username, password: PASSWORD },
  });
  must("register", registered.data, registered.error);
  const login = await anonymous.POST("/api/v1/auth/login/", { body: { username, password: PASSWORD } });
  const { token } = must("login", login.data, login.error);
  return createClient<paths>({ baseUrl, headers: { Authorization: `Token ${token}` } });
}

export async function sellerSeesTheSale(baseUrl: string) {
  const suffix = Date.now().toString(36);
  const seller = await signUp(baseUrl, `seller-${suffix}`);
  const buyer = await signUp(baseUrl, `buyer-${suffix}`);

  const muse = await seller.POST("/api/v1/assistants/", { body: { name: "seller-muse" } });
  const author = must("create the seller's assistant", muse.data, muse.error);
  const created = await seller.POST("/api/v1/prompts/", {
    body: { author: author.id, title: "Dusk invocation", body: "Speak of the last light." },
  });
  const prompt = must("create the prompt", created.data, created.error);
  const listed = await seller.POST("/api/v1/market/prompts/", {
    body: { prompt: prompt.id, token_cost: "7.25" },
  });
  const listing = must("list the prompt", listed.data, listed.error);

  const reader = await buyer.POST("/api/v1/assistants/", { body: { name: "buyer-muse" } });
  const buyerAssistant = must("create the buyer's assistant", reader.data, reader.error);
  const bought = await buyer.POST("/api/v1/market/prompts/{id}/buy/", {
    params: { path: { id: listing.id } },
    body: { buyer: buyerAssistant.id },
  });
  must("buy", bought.data, bought.error);

  const feed = await seller.GET("/api/v1/events/", {
    params: { query: { type: ["purchase.completed"] } },
  });
  const page = must("read the seller's events", feed.data, feed.error);
  const events: Schemas["Event"][] = page.results;
  const sale = events.find(
    (e): e is Schemas["PurchaseCompletedEvent"] =>
      e.type === "purchase.completed" && e.data.listing === listing.id,
  );
  if (sale === undefined) throw new Error(`no purchase.completed for listing ${listing.id}`);
  // Typed per type: `data.price` is the price charged, a string with two decimals.
  const price: string = sale.data.price;
  return {
    event: sale.id,
    type: sale.type,
    listing: sale.data.listing,
    prompt: sale.data.prompt,
    buyer: sale.data.buyer,
    seller: sale.data.seller,
    price,
    expected: { listing: listing.id, prompt: prompt.id, buyer: buyerAssistant.id, seller: author.id },
  };
}

const baseUrl = process.argv[2];
if (baseUrl === undefined) {
  console.error("usage: node events.mjs <base-url>");
  process.exitCode = 2;
} else {
  sellerSeesTheSale(baseUrl).then(
    (seen) => console.log(JSON.stringify(seen)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
