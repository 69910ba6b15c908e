/* jnihost LIBJVM -- a program that loads a JVM with dlopen after start-up
 * and runs enough Java for the JIT to compile code with implicit null checks */
#include <dlfcn.h>
#include <jni.h>
#include <stdio.h>
int main(int argc, char **argv) {
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
	jint (*create)(JavaVM **, void **, void *) = (jint (*)(JavaVM **, void **, void *))dlsym(h, "JNI_CreateJavaVM");
	JavaVM *vm; JNIEnv *env; JavaVMInitArgs a = { JNI_VERSION_1_8, 0, NULL, JNI_FALSE };
	if (create(&vm, (void **)&env, &a) != JNI_OK) { printf("no JVM\n"); return 1; }
	jclass c = (*env)->FindClass(env, "java/lang/Integer");
	jmethodID m = (*env)->GetStaticMethodID(env, c, "parseInt", "(Ljava/lang/String;)I");
	jint v = (*env)->CallStaticIntMethod(env, c, m, (*env)->NewStringUTF(env, "41"));
	printf("parseInt: %d\n", v + 1);
	/* run a lot of Java so the JIT compiles code with implicit null checks */
	jclass hm = (*env)->FindClass(env, "java/util/HashMap");
	jobject map = (*env)->NewObject(env, hm, (*env)->GetMethodID(env, hm, "<init>", "()V"));
	jmethodID get = (*env)->GetMethodID(env, hm, "get", "(Ljava/lang/Object;)Ljava/lang/Object;");
	for (int i = 0; i < 200000; i++) (*env)->CallObjectMethod(env, map, get, NULL);
	printf("done\n");
	return 0;
}
