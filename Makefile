# Terrarium's tasks. `make run` and `make test` are the README's two commands.
GO ?= go
PLUGINS := $(patsubst plugins/%/main.go,%,$(wildcard plugins/*/main.go plugins/maelstrom/*/main.go))

.PHONY: run test bench plugins examples lint deps clean tools

# Start the server and browser playground; it prints its URL. Needs only Go
# (the UI is embedded). ADDR=host:port and DATA=dir override the defaults.
ADDR ?= 127.0.0.1:8080
run:
	$(GO) run ./cmd/terrarium serve --addr $(ADDR) $(if $(DATA),--data $(DATA))

# Every test: hygiene (tidy, vet, staticcheck), host packages, the guest SDK
# vetted for wasip1, the plugins, and the outside module in examples/embed.
test: deps lint
	$(GO) test -timeout 40m ./...
	cd examples/embed && $(GO) test -count=1 ./...

# Go benchmarks (speed and memory are measured here, never asserted).
# The raw output goes to out/bench.txt (benchstat reads it); the table after
# it keeps each benchmark's custom metrics (deliveries/s, x-realtime, ...).
bench: deps
	@mkdir -p out
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./... | tee out/bench.txt
	@echo; echo "== summary (out/bench.txt)"
	@awk '/^Benchmark/ { line = sprintf("%-58s", $$1); for (i = 3; i < NF; i += 2) if ($$(i+1) != "B/op" && $$(i+1) != "allocs/op") line = line sprintf("  %12s %s", $$i, $$(i+1)); print line }' out/bench.txt

# Build every plugin's guest module into build/plugins/NAME.wasm.
plugins:
	@mkdir -p build/plugins
	@for p in $(PLUGINS); do \
		echo "build plugins/$$p -> build/plugins/$$p.wasm"; \
		mkdir -p build/plugins/$$(dirname $$p); \
		(cd plugins/$$p && GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $(CURDIR)/build/plugins/$$p.wasm .) || exit 1; \
	done

# Build the example nodes without an SDK (plugins/examples) into build/examples.
examples: deps
	@mkdir -p build/examples
	node_modules/.bin/wat2wasm --enable-all plugins/examples/wat/echo.wat -o build/examples/echo-wat.wasm
	node_modules/.bin/asc plugins/examples/assemblyscript/echo.ts -o build/examples/echo-as.wasm --runtime incremental --optimize

STATICCHECK ?= $(shell command -v staticcheck || echo $$($(GO) env GOPATH)/bin/staticcheck)

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l . && false)
	$(GO) mod tidy -diff
	cd examples/embed && $(GO) mod tidy -diff
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./plugins/...
	$(STATICCHECK) ./...
	GOOS=wasip1 GOARCH=wasm $(STATICCHECK) ./plugins/... ./internal/testguests/...

# staticcheck for make lint (CI installs it with .ci/run).
tools:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

# wabt (wat2wasm) compiles the WAT test guests and example; assemblyscript
# (asc) the AssemblyScript example.
deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

clean:
	rm -rf build out
