// The client: starts `polc lsp` (stdio) for `.pol` files. Everything else is the server's.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration("polc").get<string>("path", "polc");
  const server: ServerOptions = { command, args: ["lsp"] };
  const options: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "pol" }],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.pol"),
    },
  };
  client = new LanguageClient("polc", "polc", server, options);
  context.subscriptions.push(client);
  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
  }
}
