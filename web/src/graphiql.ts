// GraphiQL at /graphql, bundled here so it works with no CDN and no network.

import "graphiql/graphiql.css";
import "./graphiql-page.css";

import { GraphiQL } from "graphiql";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

import { careerOpsFetcher } from "./graphiql-fetcher";

const DEFAULT_QUERY = `# CareerOps GraphQL API
#
# 1. Run SignUp (or SignIn if you have an account) and copy the token
#    from the result.
# 2. Open "Headers" below and paste:  {"Authorization": "Bearer <token>"}
#    The same header is sent as the connection_init payload for
#    subscriptions, so Watch works too.
# 3. Run WriteLetter and copy the id it returns into Watch, then run Watch.
#    (A letter finished by then arrives whole, in one SNAPSHOT.)
# Choose an operation with the run button (or Ctrl-Enter).

mutation SignUp {
  register(email: "you@example.com", password: "a long password") { token }
}

mutation SignIn {
  login(email: "you@example.com", password: "a long password") { token }
}

mutation WriteLetter {
  createCoverLetter(input: {
    jobDescription: "Data engineer at Acme. Python, SQL and Airflow."
    cvText: "Six years of Python and SQL; built Airflow pipelines."
    companyName: "Acme"
  }) { id status }
}

query RecentJobs {
  jobs(first: 5) { edges { node { id status companyName createdAt } } }
}

subscription Watch {
  jobEvents(jobId: "paste the id from WriteLetter") {
    seq type status attempt progress delta text
  }
}
`;

const endpoint = new URL("/graphql", window.location.href);
const socket = new URL(endpoint);
socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
// Editor headers become the websocket's connectionParams too.
const fetcher = careerOpsFetcher(endpoint, socket);
// Only the document comes from the address: headers from a link would let whoever
// wrote it choose the token a victim's operations run with.
const params = new URLSearchParams(window.location.search);

createRoot(document.getElementById("graphiql") as HTMLElement).render(
  createElement(GraphiQL, {
    fetcher,
    defaultQuery: DEFAULT_QUERY,
    query: params.get("q") ?? undefined,
    defaultHeaders: '{\n  "Authorization": "Bearer <token>"\n}',
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
  }),
);
