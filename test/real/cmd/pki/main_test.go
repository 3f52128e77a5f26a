package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	o := Options{
		Dir:              dir,
		NodeName:         "tg-node",
		NodeIP:           net.ParseIP("10.244.7.2"),
		AdvertiseAddress: net.ParseIP("10.244.7.1"),
		ServiceIP:        net.ParseIP("10.96.0.1"),
	}
	if err := Write(o); err != nil {
		t.Fatal(err)
	}
	ca := readCert(t, dir, "ca")
	etcdCA := readCert(t, dir, "etcd-ca")
	client := x509.ExtKeyUsageClientAuth
	server := x509.ExtKeyUsageServerAuth
	cases := []struct {
		file, cn string
		orgs     []string
		usage    x509.ExtKeyUsage
		issuer   *x509.Certificate
		ips, dns []string
	}{
		{file: "apiserver", cn: "kube-apiserver", usage: server, issuer: ca,
			ips: []string{"127.0.0.1", "10.244.7.1", "10.96.0.1"},
			dns: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}},
		{file: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}, usage: client, issuer: ca},
		{file: "admin", cn: "admin", orgs: []string{"system:masters"}, usage: client, issuer: ca},
		{file: "controller-manager", cn: "system:kube-controller-manager", usage: client, issuer: ca},
		{file: "scheduler", cn: "system:kube-scheduler", usage: client, issuer: ca},
		{file: "node", cn: "system:node:tg-node", orgs: []string{"system:nodes"}, usage: client, issuer: ca},
		{file: "kube-proxy", cn: "system:kube-proxy", usage: client, issuer: ca},
		{file: "kubelet", cn: "tg-node", usage: server, issuer: ca, ips: []string{"10.244.7.2"}, dns: []string{"tg-node"}},
		{file: "etcd-server", cn: "etcd-server", usage: server, issuer: etcdCA, ips: []string{"127.0.0.1"}, dns: []string{"localhost"}},
		{file: "apiserver-etcd-client", cn: "kube-apiserver-etcd-client", usage: client, issuer: etcdCA},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			cert := readCert(t, dir, c.file)
			if cert.Subject.CommonName != c.cn || !slices.Equal(cert.Subject.Organization, c.orgs) {
				t.Errorf("subject %v, want CN=%s O=%v", cert.Subject, c.cn, c.orgs)
			}
			roots := x509.NewCertPool()
			roots.AddCert(c.issuer)
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{c.usage}}); err != nil {
				t.Errorf("does not verify for %v against %s: %v", c.usage, c.issuer.Subject.CommonName, err)
			}
			for _, ip := range c.ips {
				if err := cert.VerifyHostname(ip); err != nil {
					t.Error(err)
				}
			}
			for _, name := range c.dns {
				if err := cert.VerifyHostname(name); err != nil {
					t.Error(err)
				}
			}
			key := readKey(t, filepath.Join(dir, c.file+".key"))
			if !key.PublicKey.Equal(cert.PublicKey) {
				t.Error("the key does not belong to the certificate")
			}
		})
	}
	// The API server verifies with sa.pub what sa.key signed.
	saKey := readKey(t, filepath.Join(dir, "sa.key"))
	block := readPEM(t, filepath.Join(dir, "sa.pub"), "PUBLIC KEY")
	saPub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !saKey.PublicKey.Equal(saPub) {
		t.Error("sa.pub is not sa.key's public key")
	}
	if info, err := os.Stat(filepath.Join(dir, "ca.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("ca.key should be private: %v %v", info.Mode(), err)
	}
}

func readPEM(t *testing.T, path, blockType string) *pem.Block {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != blockType {
		t.Fatalf("%s: no %s block", path, blockType)
	}
	return block
}

func readCert(t *testing.T, dir, name string) *x509.Certificate {
	t.Helper()
	cert, err := x509.ParseCertificate(readPEM(t, filepath.Join(dir, name+".crt"), "CERTIFICATE").Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func readKey(t *testing.T, path string) *ecdsa.PrivateKey {
	t.Helper()
	key, err := x509.ParsePKCS8PrivateKey(readPEM(t, path, "PRIVATE KEY").Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key.(*ecdsa.PrivateKey)
}
