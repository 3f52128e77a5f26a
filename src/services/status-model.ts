/**
 * What `status` shows: one plain value, built by the status service from the API server and HAProxy's
 * stats, rendered by the ink view on a terminal and by the text renderers elsewhere.
 */
import type { PublicAddress } from './exposure-model.ts';

import type { BackendStats } from '../haproxy/stats.ts';

export type { BackendStats };

export interface PodStatus {
  name: string;
  phase: string;
  ready: boolean;
  /** e.g. "1/1" */
  readyContainers: string;
  restarts: number;
  /** ISO timestamp the pod was created. */
  createdAt: string;
  /** The pod's config checksum equals the ConfigMap's: it runs the current haproxy.cfg. undefined: unknown. */
  currentConfig: boolean | undefined;
  /** Why it is not ready (a container's waiting reason), if it is not. */
  problem?: string;
}

export interface RouteStatus {
  /** '/github', or 'header X-GitHub-Event=push' */
  match: string;
  /** HAProxy backend name. */
  backendName: string;
  /** Where it sends requests: 'el-github.ci:8080', or the address as written. */
  backend: string;
  service: { name: string; namespace: string; port: number } | undefined;
  origin: 'tool' | 'hand';
  /** undefined: unknown (not a Service address, or not allowed to look). */
  serviceExists: boolean | undefined;
  /** Ready endpoint addresses of the Service; undefined when unknown. */
  readyEndpoints: number | undefined;
  /** undefined when no gateway pod's stats could be read. */
  stats: BackendStats | undefined;
  /** The Tekton EventListener whose Service the route points at; undefined for any other backend. */
  listener?: ListenerStatus;
}

/** An EventListener's Ready condition, as its controller wrote it. */
export interface ListenerStatus {
  name: string;
  namespace: string;
  /** "True", "False", or "Unknown" before the controller reported. */
  ready: string;
  reason?: string;
  message?: string;
}

export interface WarningEvent {
  /** 'pod/trigger-gateway-5d9c-abc' */
  object: string;
  reason: string;
  message: string;
  count: number;
  /** ISO timestamp. */
  lastSeen: string;
}

export interface GatewayStatus {
  context: string;
  /** The kcp workspace path, when the context points at one. */
  workspace: string | undefined;
  namespace: string;
  /**
   * From the object that exposes the gateway (Ingress, HTTPRoute with its Gateway, or Route):
   * https://host/ or http://<address>/; undefined when it has neither or there is none.
   */
  publicUrl: string | undefined;
  /** Which object exposes the gateway and why there is no URL yet; undefined until read. */
  exposure: PublicAddress | undefined;
  /** From HAProxy itself, e.g. '2.6.12-1+deb12u1'. */
  haproxyVersion: string | undefined;
  pods: PodStatus[];
  routes: RouteStatus[];
  /** Recent Warning events for the gateway's objects, newest first. */
  events: WarningEvent[];
  /**
   * What could not be shown and why, in one line each: "no Ingress API on this cluster",
   * "stats unavailable: not allowed to get pods/proxy", "not allowed to list events".
   */
  notices: string[];
  /** ISO timestamp of this reading. */
  observedAt: string;
}
