{{/* Names and labels. */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "sluice.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "sluice.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The name of one app's objects: <fullname>-<app>. Call with (dict "root" $ "app" "transformer"). */}}
{{- define "sluice.appName" -}}
{{- printf "%s-%s" (include "sluice.fullname" .root) .app | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one app. Call with (dict "root" $ "app" name). */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .app }}
{{- end -}}

{{- define "sluice.appLabels" -}}
{{ include "sluice.labels" .root }}
app.kubernetes.io/component: {{ .app }}
{{- end -}}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Every app the chart deploys, in data-path order: each has `apps.<app>` in the values. */}}
{{- define "sluice.apps" -}}schema-registry source-postgres source-webhook source-http-poll transformer sink-postgres sink-http console{{- end -}}

{{/* The apps that consume Kafka through a consumer group (KEDA can scale them). */}}
{{- define "sluice.consumerApps" -}}transformer sink-postgres sink-http{{- end -}}

{{/*
One app's settings: the chart's `defaults` overridden by `apps.<app>`, as YAML.
Call with (dict "root" $ "app" name); use with fromYaml.
*/}}
{{- define "sluice.appSpec" -}}
{{- $app := index .root.Values.apps .app -}}
{{- toYaml (mustMergeOverwrite (deepCopy .root.Values.defaults) (deepCopy $app)) -}}
{{- end -}}

{{/* The registry URL the apps use: registry.url, else this release's registry Service. */}}
{{- define "sluice.registryUrl" -}}
{{- if .Values.registry.url -}}
{{- .Values.registry.url -}}
{{- else -}}
{{- printf "http://%s:%v" (include "sluice.appName" (dict "root" . "app" "schema-registry")) (index .Values.apps "schema-registry").port -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the management API's token, and its key. */}}
{{- define "sluice.managementSecretName" -}}
{{- default (printf "%s-management" (include "sluice.fullname" .)) .Values.management.existingSecret -}}
{{- end -}}

{{- define "sluice.managementSecretKey" -}}
{{- ternary .Values.management.existingSecretKey "token" (ne .Values.management.existingSecret "") -}}
{{- end -}}

{{/* The KafkaUser (and its Secret) of one app. */}}
{{- define "sluice.kafkaUser" -}}
{{- include "sluice.appName" . -}}
{{- end -}}

{{/*
One app's configuration file: its `config`, with what the chart decides merged over it — the HTTP
address (0.0.0.0 and the Service's port) and, for the connector apps, the management API's token
(${SLUICE_MANAGEMENT_TOKEN}: without one they would bind to loopback only), Kafka's bootstrap servers, client id (unless the config
has one) and SASL user, the registry
URL, the pipeline file, and the console's apps (every other enabled app's Service, with the token). Call with (dict "root" $ "app" name).
*/}}
{{- define "sluice.appConfig" -}}
{{- $root := .root -}}
{{- $spec := fromYaml (include "sluice.appSpec" .) -}}
{{- $config := deepCopy (default dict $spec.config) -}}
{{- $chart := dict "http" (dict "host" "0.0.0.0" "port" (int $spec.port)) -}}
{{- if ne .app "schema-registry" -}}
{{- $_ := set $chart.http "token" "${SLUICE_MANAGEMENT_TOKEN}" -}}
{{- $clientId := dig "kafka" "clientId" (printf "sluice-%s" .app) $config -}}
{{- $kafka := dict "brokers" (list $root.Values.kafka.bootstrapServers) "clientId" $clientId -}}
{{- if $root.Values.strimzi.users.enabled -}}
{{- $_ := set $kafka "sasl" (dict "mechanism" "scram-sha-512" "username" (include "sluice.kafkaUser" .) "password" "${SLUICE_KAFKA_PASSWORD}") -}}
{{- end -}}
{{- $_ := set $chart "kafka" $kafka -}}
{{- $_ := set $chart "registry" (dict "url" (include "sluice.registryUrl" $root)) -}}
{{- end -}}
{{- if eq .app "transformer" -}}
{{- $_ := set $chart "pipeline" "pipeline.yaml" -}}
{{- end -}}
{{- if eq .app "console" -}}
{{- $apps := list -}}
{{- range $other := without (splitList " " (include "sluice.apps" $root)) "schema-registry" "console" -}}
{{- $otherSpec := fromYaml (include "sluice.appSpec" (dict "root" $root "app" $other)) -}}
{{- if $otherSpec.enabled -}}
{{- $url := printf "http://%s:%v" (include "sluice.appName" (dict "root" $root "app" $other)) $otherSpec.port -}}
{{- /* The service name its traces carry (OTEL_SERVICE_NAME, deployment.yaml): the console's trace links. */ -}}
{{- $service := ternary (printf "sluice-%s" $other) $other $root.Values.otel.enabled -}}
{{- $apps = append $apps (dict "url" $url "token" "${SLUICE_MANAGEMENT_TOKEN}" "service" $service) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $chart "apps" $apps -}}
{{- end -}}
{{- toYaml (mustMergeOverwrite $config $chart) -}}
{{- end -}}

{{/*
A consumer app's group and input topics, as YAML {group, inputs}: the transformer's from its
pipeline (groupId, default sluice-pipeline-<name>), a sink's from its config (group, topics).
*/}}
{{- define "sluice.consumer" -}}
{{- $spec := fromYaml (include "sluice.appSpec" .) -}}
{{- if eq .app "transformer" -}}
{{- $p := $spec.pipeline -}}
{{- if not (and $p.from $p.from.topics) -}}
{{- fail "apps.transformer.pipeline.from.topics: autoscaling needs the input topics listed (from.pattern cannot be capped by partitions)" -}}
{{- end -}}
group: {{ default (printf "sluice-pipeline-%s" $p.name) $p.groupId }}
inputs: {{ toJson $p.from.topics }}
{{- else -}}
{{- $group := $spec.config.group -}}
{{- if and (not $group) (eq .app "sink-postgres") -}}{{- $group = "sluice-sink-postgres" -}}{{- end -}}
{{- if not $group -}}{{- fail (printf "apps.%s.config.group is required" .app) -}}{{- end -}}
group: {{ $group }}
inputs: {{ toJson $spec.config.topics }}
{{- end -}}
{{- end -}}

{{/* The partitions of a topic from `topics:`; fails naming the topic when it is not listed. */}}
{{- define "sluice.partitionsOf" -}}
{{- $found := "" -}}
{{- range .root.Values.topics -}}
{{- if eq .name $.topic -}}{{- $found = .partitions -}}{{- end -}}
{{- end -}}
{{- if eq (toString $found) "" -}}
{{- fail (printf "topic %s (an input of %s) is not in `topics:`; add the output of `sluice topics render`" .topic .app) -}}
{{- end -}}
{{- $found -}}
{{- end -}}

{{/* A Kubernetes object name for a Kafka topic: DNS-1123, with a hash when it had to change. */}}
{{- define "sluice.topicResourceName" -}}
{{- $clean := regexReplaceAll "[^a-z0-9.-]" (lower .) "-" | trimAll ".-" -}}
{{- if and (eq $clean .) (le (len $clean) 253) -}}
{{- $clean -}}
{{- else -}}
{{- printf "%s-%s" ($clean | trunc 200 | trimSuffix "-" | trimSuffix ".") (sha256sum . | trunc 8) -}}
{{- end -}}
{{- end -}}
