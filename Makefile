# Terrarium's tasks. `make run` and `make test` are the README's two commands.
GO ?= go
PLUGINS := $(patsubst plugins/%/main.go,%,$(wildcard plugins/*/main.go plugins/maelstrom/*/main.go))

.PHONY: run test bench glomers-bench profile plugins examples lint deps clean tools

# Start the server and browser playground; it prints its URL. Needs only Go
# (the UI is embedded). ADDR=host:port and DATA=dir override the defaults.
ADDR ?= 127.0.0.1:8080
run:
	$(GO) run ./cmd/terrarium serve --addr $(ADDR) $(if $(DATA),--data $(DATA))

# Every test: hygiene (tidy, vet, staticcheck), host packages, the guest SDK
# vetted for wasip1, the plugins, and the outside module in examples/embed.
# The browser test runs on its own, after the rest, so that chromium does
# not share the machine with the heaviest packages.
test: deps lint
	$(GO) test -timeout 40m $$($(GO) list ./... | grep -v /playground/e2e)
	$(GO) test -timeout 25m -count=1 ./playground/e2e
	TERRARIUM_SLOW=1 $(GO) test -timeout 10m -count=1 ./internal/attack
	TERRARIUM_SLOW=1 $(GO) test -timeout 45m -count=1 -run TestMetamorphic ./internal/golden
	cd examples/embed && $(GO) test -count=1 ./...

# Go benchmarks (speed and memory are measured here, never asserted).
# The raw output goes to out/bench.txt (benchstat reads it); the table after
# it keeps each benchmark's custom metrics (deliveries/s, x-realtime, ...).
bench: deps
	@mkdir -p out
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -timeout 60m ./... | tee out/bench.txt
	@echo; echo "== summary (out/bench.txt)"
	@awk '/^Benchmark/ { line = sprintf("%-58s", $$1); for (i = 3; i < NF; i += 2) if ($$(i+1) != "B/op" && $$(i+1) != "allocs/op") line = line sprintf("  %12s %s", $$i, $$(i+1)); print line }' out/bench.txt

# The whole Gossip Glomers command suite (every challenge's own maelstrom
# test line, with our solutions; BenchmarkGlomersSuite in cmd/terrarium),
# one run each: a table of each challenge's virtual and wall seconds,
# x-realtime (virtual over wall, checks included), x-realtime-cpu,
# messages and events per second, then the suite overall. The raw output
# goes to out/glomers.txt.
glomers-bench:
	@mkdir -p out
	$(GO) test -run '^$$' -bench 'GlomersSuite' -benchtime 1x -count 1 -timeout 30m ./cmd/terrarium | tee out/glomers.txt
	@echo; echo "== Gossip Glomers suite (out/glomers.txt)"
	@printf '%-18s %10s %8s %11s %15s %10s %10s\n' challenge virtual-s wall-s x-realtime x-realtime-cpu msgs/s events/s
	@awk '/^BenchmarkGlomersSuite\// { n = $$1; sub(/^BenchmarkGlomersSuite\//, "", n); sub(/-[0-9]+$$/, "", n); delete m; for (i = 3; i < NF; i += 2) m[$$(i+1)] = $$i; printf "%-18s %10.1f %8.2f %11.1f %15.1f %10.0f %10.0f\n", n, m["virtual-s"], m["wall-s"], m["x-realtime"], m["x-realtime-cpu"], m["msgs/s"], m["events/s"] }' out/glomers.txt

# Where one Go-guest event goes: BenchmarkEventSplit's layers (a ping-pong
# between two nodes, one thing added at a time; RATIONALE.md, "Where a Go
# guest's event goes"), each layer's cost over the one before, and a host
# CPU profile of the goroutine layer in out/profile (the guest's own code
# shows there as runtime._ExternalCode; the layers split it); then the
# heavy Gossip Glomers shapes (BenchmarkGlomers kafka-5b and txn-6c, our
# solutions under their challenge's flags), each with a host CPU profile
# (RATIONALE.md, "Heavy workloads").
profile:
	@mkdir -p out/profile
	$(GO) test -run '^$$' -bench 'EventSplit' -benchtime 2s -count 1 ./runtime/sim | tee out/profile/split.txt
	@echo; echo "== layers (ns per delivery; + over the layer before)"
	@awk '/^BenchmarkEventSplit\// { n = $$1; sub(/^BenchmarkEventSplit\//, "", n); sub(/-[0-9]+$$/, "", n); d = (prev == "") ? "" : sprintf("%+10.0f", $$3 - prev); printf "%-22s %10.0f %s\n", n, $$3, d; prev = $$3 }' out/profile/split.txt
	$(GO) test -run '^$$' -bench 'EventSplit/12-go-goroutine' -benchtime 3s -count 1 -cpuprofile out/profile/goroutine.prof -o out/profile/sim.test ./runtime/sim > /dev/null
	@echo; echo "== host CPU profile, goroutine layer (go tool pprof out/profile/sim.test out/profile/goroutine.prof)"
	@$(GO) tool pprof -top -nodecount 25 out/profile/sim.test out/profile/goroutine.prof 2>/dev/null | tail -n +6
	@for s in kafka-5b txn-6c; do \
		$(GO) test -run '^$$' -bench "Glomers/$$s" -benchtime 1x -count 1 -cpuprofile out/profile/$$s.prof -o out/profile/terrarium.test ./cmd/terrarium | grep '^Benchmark' | tee -a out/profile/split.txt; \
		echo; echo "== host CPU profile, $$s (go tool pprof out/profile/terrarium.test out/profile/$$s.prof; guest code is runtime._ExternalCode)"; \
		$(GO) tool pprof -top -cum -nodecount 40 out/profile/terrarium.test out/profile/$$s.prof 2>/dev/null | tail -n +6; \
	done

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
