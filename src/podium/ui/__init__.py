"""Front ends over podium.api: CLI, TUI, report, MCP server, demo."""
