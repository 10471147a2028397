/**
 * The same flow as the generated Python client's test, typed against the TypeScript types that
 * openapi-typescript generates from openapi/schema.yaml (`make clients`). It is type-checked with
 * `tsc --noEmit`: a renamed operation, a removed field or a changed type breaks the build.
 */
import type { components, operations } from "../generated/typescript/schema";

type Schemas = components["schemas"];

/** The JSON body an operation accepts. */
type Body<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : operations[Op] extends { requestBody?: { content: { "application/json": infer B } } }
    ? B
    : never;

/** The JSON an operation answers with on the given success status. */
type Ok<Op extends keyof operations, Status extends number> = operations[Op] extends {
  responses: { [S in Status]: { content: { "application/json": infer R } } };
}
  ? R
  : never;

/** The path parameters of an operation. */
type PathOf<Op extends keyof operations> = operations[Op]["parameters"] extends { path: infer P }
  ? P extends undefined
    ? Record<string, never>
    : P
  : Record<string, never>;

export class MythosClient {
  constructor(
    private readonly baseUrl: string,
    private token: string | null = null,
  ) {}

  async send<R>(method: string, path: string, status: number, body?: unknown): Promise<R> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.token !== null) headers["Authorization"] = `Token ${this.token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(`${this.baseUrl}${path}`, init);
    if (response.status !== status) {
      const error = (await response.json()) as Schemas["ErrorResponse"];
      throw new Error(`${method} ${path}: ${response.status} ${error.errors.map((e) => e.code).join(",")}`);
    }
    return (await response.json()) as R;
  }

  register(body: Body<"auth_register">): Promise<Ok<"auth_register", 201>> {
    return this.send("POST", "/api/v1/auth/register/", 201, body);
  }

  async logIn(body: Body<"auth_login">): Promise<Ok<"auth_login", 200>> {
    const answer = await this.send<Ok<"auth_login", 200>>("POST", "/api/v1/auth/login/", 200, body);
    this.token = answer.token;
    return answer;
  }

  me(): Promise<Ok<"auth_me", 200>> {
    return this.send("GET", "/api/v1/auth/me/", 200);
  }

  createAssistant(body: Body<"assistants_create">): Promise<Ok<"assistants_create", 201>> {
    return this.send("POST", "/api/v1/assistants/", 201, body);
  }

  createPrompt(body: Body<"prompts_create">): Promise<Ok<"prompts_create", 201>> {
    return this.send("POST", "/api/v1/prompts/", 201, body);
  }

  listPrompts(search: string): Promise<Ok<"prompts_list", 200>> {
    return this.send("GET", `/api/v1/prompts/?search=${encodeURIComponent(search)}`, 200);
  }

  retrievePrompt(path: PathOf<"prompts_retrieve">): Promise<Ok<"prompts_retrieve", 200>> {
    return this.send("GET", `/api/v1/prompts/${path.id}/`, 200);
  }

  listForSale(body: Body<"market_prompts_create">): Promise<Ok<"market_prompts_create", 201>> {
    return this.send("POST", "/api/v1/market/prompts/", 201, body);
  }

  buy(path: PathOf<"market_prompts_buy">, body: Body<"market_prompts_buy">): Promise<Ok<"market_prompts_buy", 201>> {
    return this.send("POST", `/api/v1/market/prompts/${path.id}/buy/`, 201, body);
  }

  rate(path: PathOf<"prompts_rate">, body: Body<"prompts_rate">): Promise<Ok<"prompts_rate", 201>> {
    return this.send("POST", `/api/v1/prompts/${path.id}/rate/`, 201, body);
  }

  createChain(body: Body<"train_chains_create">): Promise<Ok<"train_chains_create", 201>> {
    return this.send("POST", "/api/v1/train/chains/", 201, body);
  }

  step(path: PathOf<"train_chains_step">, body: Body<"train_chains_step">): Promise<Ok<"train_chains_step", 201>> {
    return this.send("POST", `/api/v1/train/chains/${path.id}/step/`, 201, body);
  }
}

/** register → log in → assistant → prompt → list it for sale → a second user buys and rates it →
 * a training chain is created and stepped. */
export async function flow(baseUrl: string): Promise<Schemas["Prompt"]> {
  const alice = new MythosClient(baseUrl);
  const user: Schemas["User"] = await alice.register({ username: "alice", password: "a-long-passphrase" });
  await alice.logIn({ username: user.username, password: "a-long-passphrase" });
  const assistant = await alice.createAssistant({ name: "alice-muse" });
  const prompt = await alice.createPrompt({
    author: assistant.id,
    title: "Dawn invocation",
    body: "Speak of the first light.",
    tags: ["dawn"],
  });
  const page = await alice.listPrompts("Dawn");
  const first: Schemas["Prompt"] | undefined = page.results[0];
  if (first === undefined || first.id !== prompt.id) throw new Error("the new prompt is not listed");
  await alice.listForSale({ prompt: prompt.id, token_cost: "12.50" });
  const listings = await alice.send<Ok<"market_prompts_list", 200>>("GET", "/api/v1/market/prompts/", 200);
  const listing = listings.results[0];
  if (listing === undefined) throw new Error("the listing is not on the market");

  const bob = new MythosClient(baseUrl);
  await bob.register({ username: "bob", password: "a-long-passphrase" });
  await bob.logIn({ username: "bob", password: "a-long-passphrase" });
  const buyer = await bob.createAssistant({ name: "bob-muse" });
  await bob.buy({ id: listing.id }, { buyer: buyer.id });
  const rating = await bob.rate(
    { id: prompt.id },
    { rater: buyer.id, ritual_effectiveness: 0.9, assistant_approval: 0.7 },
  );
  const trust: number = rating.trust_score;

  const chain = await alice.createChain({
    chain_title: "Dawn chain",
    seed_assistant: assistant.id,
    involved_assistants: [assistant.id, buyer.id],
  });
  await alice.step(
    { id: chain.id },
    { reflection_notes: "First light.", memory_snapshot: { mood: "bright" }, belief_delta: 0.25 },
  );

  const again = await bob.retrievePrompt({ id: prompt.id });
  const body: string | null = again.body;
  return { ...again, body, trust_score: trust };
}
