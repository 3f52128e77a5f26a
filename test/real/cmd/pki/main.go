// Command pki writes the certificates and keys of one real control plane into a folder: a cluster
// CA and the certificates signed by it, a separate etcd CA (as kubeadm does, so that no cluster
// client certificate can talk to etcd), and the service-account signing key pair.
//
//	pki --dir DIR --node-name tg-node --node-ip 10.244.1.2 --advertise-address 10.244.1.1
//
// Every key is ECDSA P-256, written as PKCS #8; certificates are valid for a year.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Options are what differs between control planes.
type Options struct {
	Dir              string
	NodeName         string
	NodeIP           net.IP
	AdvertiseAddress net.IP
	ServiceIP        net.IP
}

// authority is a CA that signs the certificates below it.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// leaf describes one certificate signed by a CA.
type leaf struct {
	file   string
	cn     string
	orgs   []string
	usages []x509.ExtKeyUsage
	ips    []net.IP
	dns    []string
}

var (
	serverUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	clientUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	bothUsages  = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	loopback    = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
)

const validity = 365 * 24 * time.Hour

func main() {
	var o Options
	var nodeIP, advertise, serviceIP string
	flag.StringVar(&o.Dir, "dir", "", "the folder to write into (created if missing)")
	flag.StringVar(&o.NodeName, "node-name", "tg-node", "the Node's name")
	flag.StringVar(&nodeIP, "node-ip", "", "the Node's InternalIP (the kubelet serving certificate's address)")
	flag.StringVar(&advertise, "advertise-address", "", "the API server's --advertise-address")
	flag.StringVar(&serviceIP, "service-ip", "10.96.0.1", "the first IP of the service range (the kubernetes Service)")
	flag.Parse()
	var err error
	if o.NodeIP, err = parseIP("node-ip", nodeIP); err == nil {
		if o.AdvertiseAddress, err = parseIP("advertise-address", advertise); err == nil {
			o.ServiceIP, err = parseIP("service-ip", serviceIP)
		}
	}
	if err == nil && o.Dir == "" {
		err = errors.New("--dir is required")
	}
	if err == nil {
		err = Write(o)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pki: %v\n", err)
		os.Exit(1)
	}
}

func parseIP(flagName, value string) (net.IP, error) {
	ip := net.ParseIP(value)
	if ip == nil {
		return nil, fmt.Errorf("--%s: %q is not an IP address", flagName, value)
	}
	return ip, nil
}

// Write creates the CAs, every certificate and the service-account key pair in o.Dir.
func Write(o Options) error {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return err
	}
	ca, err := newAuthority(o.Dir, "ca", "kubernetes")
	if err != nil {
		return err
	}
	etcdCA, err := newAuthority(o.Dir, "etcd-ca", "etcd-ca")
	if err != nil {
		return err
	}
	apiServerIPs := append([]net.IP{o.AdvertiseAddress, o.ServiceIP}, loopback...)
	signed := []struct {
		ca     authority
		leaves []leaf
	}{
		{ca, []leaf{
			{file: "apiserver", cn: "kube-apiserver", usages: serverUsage, ips: apiServerIPs, dns: []string{
				"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc.cluster.local",
			}},
			{file: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}, usages: clientUsage},
			{file: "admin", cn: "admin", orgs: []string{"system:masters"}, usages: clientUsage},
			{file: "controller-manager", cn: "system:kube-controller-manager", usages: clientUsage},
			{file: "scheduler", cn: "system:kube-scheduler", usages: clientUsage},
			{file: "node", cn: "system:node:" + o.NodeName, orgs: []string{"system:nodes"}, usages: clientUsage},
			{file: "kube-proxy", cn: "system:kube-proxy", usages: clientUsage},
			{file: "kubelet", cn: o.NodeName, usages: serverUsage, ips: []net.IP{o.NodeIP}, dns: []string{o.NodeName}},
		}},
		{etcdCA, []leaf{
			// The single member's peer listener uses the server certificate too, hence both usages.
			{file: "etcd-server", cn: "etcd-server", usages: bothUsages, ips: loopback, dns: []string{"localhost"}},
			{file: "apiserver-etcd-client", cn: "kube-apiserver-etcd-client", usages: clientUsage},
		}},
	}
	for _, group := range signed {
		for _, l := range group.leaves {
			if err := group.ca.sign(o.Dir, l); err != nil {
				return fmt.Errorf("%s: %w", l.file, err)
			}
		}
	}
	return writeServiceAccountKeys(o.Dir)
}

func newAuthority(dir, file, cn string) (authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return authority{}, err
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return authority{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return authority{}, err
	}
	if err := writePair(dir, file, der, key); err != nil {
		return authority{}, err
	}
	return authority{cert: cert, key: key}, nil
}

func (a authority) sign(dir string, l leaf) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: l.cn, Organization: l.orgs},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  l.usages,
		IPAddresses:  l.ips,
		DNSNames:     l.dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, a.cert, key.Public(), a.key)
	if err != nil {
		return err
	}
	return writePair(dir, l.file, der, key)
}

func writePair(dir, file string, der []byte, key *ecdsa.PrivateKey) error {
	if err := writePEM(filepath.Join(dir, file+".crt"), "CERTIFICATE", der, 0o644); err != nil {
		return err
	}
	return writePrivateKey(filepath.Join(dir, file+".key"), key)
}

// writeServiceAccountKeys writes sa.key (the API server signs tokens with it, the controller
// manager too) and sa.pub (the API server verifies tokens with it).
func writeServiceAccountKeys(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	if err := writePrivateKey(filepath.Join(dir, "sa.key"), key); err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, "sa.pub"), "PUBLIC KEY", der, 0o644)
}

func writePrivateKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

func writePEM(path, blockType string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), mode)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(err)
	}
	return n
}
